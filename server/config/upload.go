package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"time"
)

// Upload is the [upload] section: HTTP File Upload (XEP-0363).
type Upload struct {
	Listen          string        `toml:"listen"`
	PublicURL       string        `toml:"public_url"`
	TLS             bool          `toml:"tls"`
	Dir             string        `toml:"dir"`
	MaxFileSize     int           `toml:"max_file_size"`
	Quota           int           `toml:"quota"`
	ExpireAfter     time.Duration `toml:"expire_after"`
	SlotExpireAfter time.Duration `toml:"slot_expire_after"`
	MaxConns        int           `toml:"max_connections"`
	MaxConnsPerIP   int           `toml:"max_connections_per_ip"`
	TrustedProxies  []string      `toml:"trusted_proxies"`
}

// ParsePrefixes parses addresses and CIDR prefixes ("127.0.0.1", "10.0.0.0/8", "::1")
// as prefixes, an address as its own full-length prefix.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is no IP address or CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func checkIPPrefixes(v any) string {
	if _, err := ParsePrefixes(v.([]string)); err != nil {
		return err.Error()
	}
	return ""
}

// uploadDir is the files' directory in data_dir when upload.dir is empty.
const uploadDir = "uploads"

func checkURL(v any) string {
	s := v.(string)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q is no http:// or https:// URL (without query or fragment)", s)
	}
	return ""
}

// validateUpload: a file bigger than the quota could never be stored.
func (d *decoder) validateUpload() {
	u := d.cfg.Upload
	if u.Listen != "" && u.MaxFileSize > u.Quota {
		d.problem(fmt.Sprintf("max_file_size %d is larger than quota %d", u.MaxFileSize, u.Quota), "upload", "max_file_size")
	}
}

// UploadDir is where the uploaded files are: upload.dir, else data_dir/uploads.
func (c *Config) UploadDir() string {
	if c.Upload.Dir != "" {
		return c.Upload.Dir
	}
	return filepath.Join(c.Service.DataDir, uploadDir)
}

// UploadURL is the base URL of the upload service: upload.public_url, else the
// service's JID and the listener's port (ln is the bound address, for port 0).
func (c *Config) UploadURL(ln net.Addr) string {
	if c.Upload.PublicURL != "" {
		return c.Upload.PublicURL
	}
	scheme := "https"
	if !c.Upload.TLS {
		scheme = "http"
	}
	_, port, _ := net.SplitHostPort(ln.String())
	return scheme + "://" + net.JoinHostPort(c.Service.JID, port)
}
