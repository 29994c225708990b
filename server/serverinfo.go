package server

import (
	"github.com/gospectrum/spectrum2/server/config"
	"github.com/gospectrum/spectrum2/serverinfo"
)

// serverInfo is the feature of the small server XEPs (time, uptime, contact addresses).
func serverInfo(cfg *config.Config) *serverinfo.Info {
	return serverinfo.New(serverinfo.Config{Contacts: serverinfo.Contacts{
		Abuse: cfg.Service.AbuseAddresses, Admin: cfg.Service.AdminAddresses, Support: cfg.Service.SupportAddresses,
	}})
}
