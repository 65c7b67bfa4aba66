package store

// RiverColumns exposes riverColumns to the external tests.
func RiverColumns() map[string]map[string]string { return riverColumns }

// RiverUnfinishedStates exposes riverUnfinished to the external tests.
func RiverUnfinishedStates() []string { return riverUnfinished }
