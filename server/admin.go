package server

import (
	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/admin"
	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/server/config"
)

// newAdmin builds the admin feature (the administrators of service.admin_jid, their
// commands and the users' ad-hoc command) for router.Config.Features; its Sources are
// set once the router and pluginserver exist.
func newAdmin(cfg *config.Config, m *metrics.Metrics, rl *reloader, st *storage, log zerolog.Logger) *admin.Admin {
	return admin.New(admin.Config{
		Domain:           cfg.Service.JID,
		IdentityName:     cfg.Identity.Name,
		IdentityCategory: cfg.Identity.Category,
		IdentityType:     cfg.Identity.Type,
		JIDs:             cfg.Service.AdminJID,
		Password:         cfg.Service.AdminPassword,
		Counters:         m,
		Reload:           rl.reload,
		EraseUser:        st.db.EraseUser,
		PurgeArchive:     st.purgeArchive(),
		Log:              log,
	})
}
