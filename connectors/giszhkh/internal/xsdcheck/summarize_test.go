package xsdcheck

import "testing"

func TestSummarize(t *testing.T) {
	t.Parallel()
	report := "a\nb\na\n\nc\nd\nb\ne\nf\ng"
	if got, want := summarize(report, 3), "a\nb\nc\n(and 4 more distinct errors)"; got != want {
		t.Errorf("summarize = %q, want %q", got, want)
	}
	if got := summarize("x\nx\nx", 5); got != "x" {
		t.Errorf("repeated line: %q", got)
	}
}
