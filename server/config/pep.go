package config

// PEP is the [pep] section: the per-user bounds of the personal eventing service
// (XEP-0163) and private XML storage (XEP-0049), pep.Config.
type PEP struct {
	MaxNodes     int `toml:"max_nodes"`
	MaxItemBytes int `toml:"max_item_bytes"`
	MaxItems     int `toml:"max_items"`
	MaxPrivate   int `toml:"max_private"`
}
