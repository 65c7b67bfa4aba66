package bank

import "sync"

// ReadAhead runs next in a goroutine, handing its values over in batches,
// so producing (reading and mapping a registry) overlaps consuming (COPY
// to the database). next returns nil at the end. pull returns the values
// in order, then nil, or the error next returned after the values before
// it. stop ends the goroutine and waits for it; it is safe to call more
// than once, and must be called before the producer's state is read.
func ReadAhead[T any](next func() (*T, error)) (pull func() (*T, error), stop func()) {
	type batch struct {
		rows []*T
		err  error
	}
	const size = 512
	ch := make(chan batch, 8)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		send := func(b batch) bool {
			select {
			case ch <- b:
				return true
			case <-done:
				return false
			}
		}
		rows := make([]*T, 0, size)
		for {
			r, err := next()
			if r == nil || err != nil {
				if len(rows) > 0 && !send(batch{rows: rows}) {
					return
				}
				if err != nil {
					send(batch{err: err})
				}
				return
			}
			if rows = append(rows, r); len(rows) == size {
				if !send(batch{rows: rows}) {
					return
				}
				rows = make([]*T, 0, size)
			}
		}
	}()
	var cur []*T
	pull = func() (*T, error) {
		for len(cur) == 0 {
			b, ok := <-ch
			if !ok {
				return nil, nil
			}
			if b.err != nil {
				return nil, b.err
			}
			cur = b.rows
		}
		r := cur[0]
		cur = cur[1:]
		return r, nil
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			for range ch { // drain until the goroutine has returned
			}
		})
	}
	return pull, stop
}
