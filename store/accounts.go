package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Account is what the store knows of a user who logged in: never a password.
type Account struct {
	FirstLogin, LastLogin time.Time
}

// AccountStore keeps the users who logged in to this server (or, with PostgreSQL, to any
// host of the domain), so that a message from another local user finds a logged-out one.
// It is bounded by the users who log in; erase_user deletes a user's row.
type AccountStore interface {
	// TouchAccount records a login of user at at: the first one creates the account.
	TouchAccount(ctx context.Context, user string, at time.Time) error
	// Account returns the user's account; ok is false for a user who never logged in.
	Account(ctx context.Context, user string) (a Account, ok bool, err error)
}

var _ AccountStore = (*DB)(nil)

// TouchAccount implements AccountStore (one statement on both drivers).
func (db *DB) TouchAccount(ctx context.Context, user string, at time.Time) error {
	us := unixMicro(at)
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO accounts (username, first_login, last_login) VALUES (?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET last_login = excluded.last_login`), user, us, us)
	if err != nil {
		return fmt.Errorf("store: touch account: %w", err)
	}
	return nil
}

// Account implements AccountStore.
func (db *DB) Account(ctx context.Context, user string) (Account, bool, error) {
	var first, last int64
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT first_login, last_login FROM accounts WHERE username = ?`), user).Scan(&first, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Account{}, false, nil
	case err != nil:
		return Account{}, false, fmt.Errorf("store: account: %w", err)
	}
	return Account{FirstLogin: fromMicro(first), LastLogin: fromMicro(last)}, true, nil
}
