package pluginserver

import (
	"path/filepath"
	"strings"
)

// Executable returns the program an external backend command line (service.backend) runs,
// as command starts it: the first word, with "BACKEND_ID" replaced, and a relative path
// taken relative to workingDir. The configuration check uses it to find a backend that
// cannot start before the daemon does.
func Executable(backend, workingDir string) (string, error) {
	words, err := splitArgs(strings.ReplaceAll(backend, "BACKEND_ID", "1"))
	if err != nil {
		return "", err
	}
	if filepath.IsAbs(words[0]) || workingDir == "" {
		return words[0], nil
	}
	return filepath.Join(workingDir, words[0]), nil
}
