package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/pluginserver"
)

// Error texts of the admin interface (spec 3.20, AdminInterfaceCommand.cpp:58-116).
const (
	adminUnknown     = "Error: Unknown variable or command"
	adminMissingArg  = "Error: Argument is missing."
	adminTooManyArgs = "Error: Too many arguments."
	adminCannotSet   = "Error: This variable cannot be set."
)

// adminCommand is one command of the admin interface.
type adminCommand struct {
	name, desc string
	args       []string // names of the required arguments
	run        func(a *adminEnv, args []string) string
}

// adminEnv is what commands read: a snapshot taken when the command runs.
type adminEnv struct {
	a     *Admin
	ops   Counters
	users func() []string
	stats pluginserver.Stats
	src   *Sources
}

// adminCommands is the command table (spec 3.20, AdminInterface.cpp:1095-1125), in the
// order help lists them. register/unregister need a storage backend, which spectrum2 does
// not have, so they are unknown here as in Spectrum 2 without one.
func adminCommands() []adminCommand {
	return []adminCommand{
		{"status", "Shows instance status", nil, (*adminEnv).status},
		{"uptime", "Returns uptime in seconds", nil, func(a *adminEnv, _ []string) string {
			return strconv.FormatInt(int64(a.ops.Uptime()/time.Second), 10)
		}},
		{"online_users", "Returns list of all online users", nil, func(a *adminEnv, _ []string) string {
			// Quirk 19 fixed: the online users, one bare JID per line; none is empty.
			return strings.Join(a.users(), "\n")
		}},
		{"online_users_count", "Number of online users", nil, func(a *adminEnv, _ []string) string {
			return strconv.Itoa(len(a.users()))
		}},
		{"has_online_user", "Returns 1 if user is online", []string{"jid"}, (*adminEnv).hasOnlineUser},
		{"reload", "Reloads config file", nil, (*adminEnv).reload},
		{"erase_user", "Erases everything stored for a user (offline messages)", []string{"jid"}, (*adminEnv).eraseUser},
		{"purge_archive", "Deletes a user's message archive (XEP-0313), rooms included", []string{"jid"}, (*adminEnv).purgeArchive},
		{"backends_count", "Number of active backends", nil, func(a *adminEnv, _ []string) string {
			return strconv.Itoa(len(a.stats.Backends))
		}},
		{"res_memory", "Total RESident memory spectrum2 and its backends use in KB", nil, func(a *adminEnv, _ []string) string {
			return kb(a.memory(func(b pluginserver.BackendStats) int32 { return b.RSS }, true))
		}},
		{"shr_memory", "Total SHaRed memory spectrum2 backends share together in KB", nil, func(a *adminEnv, _ []string) string {
			return kb(a.memory(func(b pluginserver.BackendStats) int32 { return b.Shared }, false))
		}},
		{"used_memory", "Total memory spectrum2 and its backends use in KB", nil, (*adminEnv).usedMemory},
		{"average_memory_per_user", "Average memory per user in KB", nil, (*adminEnv).averageMemory},
		{"crashed_backends_count", "Returns number of crashed backends", nil, func(a *adminEnv, _ []string) string {
			return strconv.Itoa(a.stats.Crashes)
		}},
		{"crashed_backends", "Returns IDs of crashed backends", nil, (*adminEnv).crashedBackends},
		{"messages_from_xmpp", "Number of messages received from XMPP users", nil, func(a *adminEnv, _ []string) string {
			return strconv.FormatUint(a.ops.MessagesFromXMPP(), 10)
		}},
		{"messages_to_xmpp", "Number of messages sent to XMPP users", nil, func(a *adminEnv, _ []string) string {
			return strconv.FormatUint(a.ops.MessagesToXMPP(), 10)
		}},
		{"help", "Shows help message", nil, func(*adminEnv, []string) string { return adminHelp() }},
		{"commands", "Lists all commands", nil, func(*adminEnv, []string) string { return adminNames() }},
		{"variables", "Lists all variables", nil, func(*adminEnv, []string) string { return adminNames() }},
		{"args", "Shows the arguments of a command", []string{"command"}, func(_ *adminEnv, args []string) string {
			return adminArgs(args[0])
		}},
	}
}

// lookupAdmin finds the command called name.
func lookupAdmin(name string) (adminCommand, bool) {
	cmds := adminCommands()
	i := slices.IndexFunc(cmds, func(c adminCommand) bool { return c.name == name })
	if i < 0 {
		return adminCommand{}, false
	}
	return cmds[i], true
}

// Command runs one admin command line (spec 3.20, AdminInterface::handleQuery):
// the line is split on single spaces, an optional "get" or "set" comes first, then the
// command and its arguments. It is what the XMPP admin channel, the ad-hoc commands and
// the backend-port QUERY channel (spec 1.8) answer.
func (a *Admin) Command(line string) string {
	words := strings.Split(strings.TrimSpace(line), " ")
	set := false
	if len(words) > 1 && (words[0] == "get" || words[0] == "set") {
		set = words[0] == "set"
		words = words[1:]
	}
	c, ok := lookupAdmin(words[0])
	if !ok {
		return adminUnknown
	}
	if set {
		return adminCannotSet // no command of ours is a settable variable
	}
	return a.run(c, words[1:])
}

// run checks the argument count and runs c.
func (a *Admin) run(c adminCommand, args []string) string {
	switch {
	case len(args) < len(c.args):
		return adminMissingArg
	case len(args) > len(c.args):
		return adminTooManyArgs
	}
	src := a.sources.Load()
	env := &adminEnv{a: a, ops: a.cfg.Counters, src: src, users: func() []string { return nil }}
	if src.Users != nil {
		env.users = src.Users
	}
	if src.Stats != nil {
		env.stats = src.Stats()
	}
	return c.run(env, args)
}

func (a *adminEnv) status(_ []string) string {
	return "Running (" + strconv.Itoa(len(a.users())) + " users connected using " +
		strconv.Itoa(len(a.stats.Backends)) + " backends)"
}

func (a *adminEnv) hasOnlineUser(args []string) string {
	if slices.Contains(a.users(), strings.ToLower(args[0])) {
		return "1"
	}
	return "0"
}

func (a *adminEnv) reload(_ []string) string {
	if a.a.cfg.Reload == nil {
		return "Error: reload is not available"
	}
	if err := a.a.cfg.Reload(); err != nil {
		return "Error: " + err.Error()
	}
	return "Config reloaded"
}

// eraseTimeout bounds the erase_user command's store call.
const eraseTimeout = 30 * time.Second

// eraseUser deletes what the store holds for one bare JID (docs/storage.md). Messages
// the router holds in memory for the user's next login are not stored and not touched.
func (a *adminEnv) eraseUser(args []string) string {
	if a.a.cfg.EraseUser == nil {
		return "Error: no storage is configured"
	}
	j, err := jid.Parse(args[0])
	if err != nil || j.Localpart() == "" {
		return "Error: not a user's JID: " + args[0]
	}
	bare := strings.ToLower(j.Bare().String())
	ctx, cancel := context.WithTimeout(context.Background(), eraseTimeout)
	defer cancel()
	if err := a.a.cfg.EraseUser(ctx, bare); err != nil {
		a.a.log.Error().Err(err).Str("jid", bare).Msg("erase_user failed")
		return "Error: " + err.Error()
	}
	a.a.log.Info().Str("jid", bare).Msg("everything stored for the user was erased (admin command)")
	return "Erased everything stored for " + bare
}

// purgeArchive deletes one bare JID's message archive (docs/storage.md); the user's
// archive preferences stay.
func (a *adminEnv) purgeArchive(args []string) string {
	if a.a.cfg.PurgeArchive == nil {
		return "Error: the message archive is off (mam.enabled)"
	}
	j, err := jid.Parse(args[0])
	if err != nil || j.Localpart() == "" {
		return "Error: not a user's JID: " + args[0]
	}
	bare := strings.ToLower(j.Bare().String())
	ctx, cancel := context.WithTimeout(context.Background(), eraseTimeout)
	defer cancel()
	n, err := a.a.cfg.PurgeArchive(ctx, bare)
	if err != nil {
		a.a.log.Error().Err(err).Str("jid", bare).Msg("purge_archive failed")
		return "Error: " + err.Error()
	}
	return fmt.Sprintf("Deleted %d archived messages of %s", n, bare)
}

// memory sums a per-backend value, plus the daemon's own resident or shared memory.
func (a *adminEnv) memory(of func(pluginserver.BackendStats) int32, resident bool) int64 {
	res, shr := a.ops.Memory()
	total := shr
	if resident {
		total = res
	}
	for _, b := range a.stats.Backends {
		total += int64(of(b))
	}
	return total
}

func (a *adminEnv) usedMemory(_ []string) string {
	res, shr := a.ops.Memory()
	total := res - shr
	for _, b := range a.stats.Backends {
		total += int64(b.RSS - b.Shared)
	}
	return kb(total)
}

// averageMemory is the backends' growth since start divided by the users (spec 3.20).
func (a *adminEnv) averageMemory(_ []string) string {
	users := len(a.users())
	if users == 0 {
		return "0"
	}
	var grown int64
	for _, b := range a.stats.Backends {
		grown += int64(b.RSS - b.InitRSS)
	}
	return kb(grown / int64(users))
}

func (a *adminEnv) crashedBackends(_ []string) string {
	if a.src.CrashedPIDs == nil {
		return ""
	}
	var lines []string
	for _, pid := range a.src.CrashedPIDs() {
		lines = append(lines, strconv.Itoa(pid))
	}
	return strings.Join(lines, "\n")
}

func kb(n int64) string { return strconv.FormatInt(n, 10) }

func adminHelp() string {
	var b strings.Builder
	b.WriteString("Available commands:\n")
	for _, c := range adminCommands() {
		b.WriteString("    " + c.name)
		for _, a := range c.args {
			b.WriteString(" <" + a + ">")
		}
		b.WriteString(" - " + c.desc + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func adminNames() string {
	var names []string
	for _, c := range adminCommands() {
		names = append(names, c.name)
	}
	return strings.Join(names, "\n")
}

func adminArgs(name string) string {
	c, ok := lookupAdmin(name)
	if !ok {
		return adminUnknown
	}
	return strings.Join(c.args, "\n")
}
