package config

import (
	"testing"
	"time"
)

func TestReferenceConfig(t *testing.T) {
	if ps := Check(referencePath); len(ps) != 0 {
		t.Fatalf("%s: %v", referencePath, Problems(ps))
	}
	c, err := Load(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	// Every option is at its default, except the sample jid.
	d := Default()
	d.Path, d.Service.JID, d.Service.AdminJID = c.Path, c.Service.JID, c.Service.AdminJID
	if len(c.Service.AdminJID) != 0 || !equalConfig(c, d) {
		t.Errorf("reference config differs from Default():\n%+v\n%+v", c, d)
	}
}

func TestDemoConfig(t *testing.T) {
	const path = "../../etc/demo.toml"
	if ps := Check(path); len(ps) != 0 {
		t.Fatalf("%s: %v", path, Problems(ps))
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Service
	if s.JID != "localhost" || s.Server != "127.0.0.1" || s.Port != 5222 || s.TLSPort != 5223 ||
		s.Backend != "builtin:demo" || s.DataDir != "./data" || s.WorkingDir != "./data/run" {
		t.Errorf("service: %+v", s)
	}
	if c.Logging.Level != "info" || c.Logging.Format != "console" || c.Demo.Contacts != 20 ||
		c.Demo.ClockPeriod != time.Minute {
		t.Errorf("logging %+v demo %+v", c.Logging, c.Demo)
	}
}
