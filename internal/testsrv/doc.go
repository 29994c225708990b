// Package testsrv starts real servers for tests, on loopback, stopped by PID when the test
// ends (as net/http/httptest does for HTTP). It exists so that the backend packages and the
// end-to-end tests in test/ share one starter instead of a copy each: test files cannot be
// imported across packages.
package testsrv
