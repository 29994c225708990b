//go:build !linux

package archive

// lowerPriority does nothing where thread priorities are not set here (priority_linux.go).
func lowerPriority() error { return nil }
