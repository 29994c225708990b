// Package native is the one place where the backends built into the spectrum2 binary are
// registered: `spectrum2 backend NAME` runs them, service.backend = "builtin:NAME" names
// them, and the configuration check and the usage text list them from here.
package native
