package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoUpload is returned for an upload that is not there (never was, expired, or is not
// in the state the call needs).
var ErrNoUpload = errors.New("store: not found")

// UploadState is where an upload is in its life.
type UploadState int

// The states of an upload: a slot handed out, a PUT under way, a file stored.
const (
	SlotOpen UploadState = iota
	SlotPutting
	FileStored
)

// Upload is one file of the HTTP upload service (XEP-0363): a slot until its PUT ends,
// then a file. Its bytes are in the upload directory, named by ID; the row is the truth.
type Upload struct {
	ID      string // unguessable, in its URLs and its file's name
	User    string // the owner's bare JID
	Name    string // the file name the client gave
	Size    int64  // announced for a slot, exact for a file
	Type    string // content type
	Token   string // the PUT's secret
	State   UploadState
	Created time.Time
	// Expires is when an open slot stops taking a PUT, when a PUT under way is given up,
	// and when a stored file is deleted; the sweep deletes every upload past it.
	Expires time.Time
}

// UploadStore keeps the metadata of uploads; the caller keeps the bytes.
type UploadStore interface {
	// CreateUpload stores a new slot u, unless the user's uploads (files, slots and PUTs
	// under way) would then hold more than quota bytes (ErrFull).
	CreateUpload(ctx context.Context, u Upload, quota int64) error
	// Upload returns the upload with id, or ErrNoUpload.
	Upload(ctx context.Context, id string) (Upload, error)
	// StartPut moves an open slot that has not expired at now to SlotPutting, to expire
	// at until; ErrNoUpload when it is not an open slot (a second PUT, or expired).
	StartPut(ctx context.Context, id string, now, until time.Time) error
	// FinishPut makes a PUT under way a stored file of size bytes that expires at
	// expires; ErrNoUpload when it is not under way (the sweep took it).
	FinishPut(ctx context.Context, id string, size int64, expires time.Time) error
	// DeleteUpload deletes the upload with id (a failed PUT).
	DeleteUpload(ctx context.Context, id string) error
	// UploadUsage is the bytes the user's uploads hold against the quota.
	UploadUsage(ctx context.Context, user string) (int64, error)
	// ExpireUploads deletes at most max uploads that expired before before and returns
	// them, so that the caller deletes their files; a sweep calls it until fewer come.
	ExpireUploads(ctx context.Context, before time.Time, max int) ([]Upload, error)
}

var _ UploadStore = (*DB)(nil)

const uploadColumns = `id, username, name, size, ctype, token, state, created, expires`

// CreateUpload implements UploadStore; the sum and the insert are one transaction (a
// per-user advisory lock on PostgreSQL), as PushOffline.
func (db *DB) CreateUpload(ctx context.Context, u Upload, quota int64) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.driver == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "uploads:"+u.User); err != nil {
				return fmt.Errorf("store: upload lock: %w", err)
			}
		}
		var used int64
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COALESCE(SUM(size), 0) FROM uploads WHERE username = ?`), u.User).Scan(&used); err != nil {
			return fmt.Errorf("store: upload usage: %w", err)
		}
		if used+u.Size > quota {
			return ErrFull
		}
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO uploads (`+uploadColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, u.User, u.Name, u.Size, u.Type, u.Token, int(u.State), unixMicro(u.Created), unixMicro(u.Expires))
		if err != nil {
			return fmt.Errorf("store: create upload: %w", err)
		}
		return nil
	})
}

// Upload implements UploadStore.
func (db *DB) Upload(ctx context.Context, id string) (Upload, error) {
	row := db.read.QueryRowContext(ctx, db.rebind(`SELECT `+uploadColumns+` FROM uploads WHERE id = ?`), id)
	u, err := scanUpload(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, ErrNoUpload
	}
	return u, err
}

func scanUpload(scan func(...any) error) (Upload, error) {
	var (
		u          Upload
		state      int
		cre, until int64
	)
	if err := scan(&u.ID, &u.User, &u.Name, &u.Size, &u.Type, &u.Token, &state, &cre, &until); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Upload{}, err
		}
		return Upload{}, fmt.Errorf("store: upload: %w", err)
	}
	u.State, u.Created, u.Expires = UploadState(state), fromMicro(cre), fromMicro(until)
	return u, nil
}

// StartPut implements UploadStore.
func (db *DB) StartPut(ctx context.Context, id string, now, until time.Time) error {
	return db.update(ctx, "start put", `UPDATE uploads SET state = ?, expires = ? WHERE id = ? AND state = ? AND expires > ?`,
		int(SlotPutting), unixMicro(until), id, int(SlotOpen), unixMicro(now))
}

// FinishPut implements UploadStore.
func (db *DB) FinishPut(ctx context.Context, id string, size int64, expires time.Time) error {
	return db.update(ctx, "finish put", `UPDATE uploads SET state = ?, size = ?, expires = ? WHERE id = ? AND state = ?`,
		int(FileStored), size, unixMicro(expires), id, int(SlotPutting))
}

// update runs an UPDATE of one row; ErrNoUpload when none matched.
func (db *DB) update(ctx context.Context, what, q string, args ...any) error {
	res, err := db.write.ExecContext(ctx, db.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return ErrNoUpload
	}
	return nil
}

// DeleteUpload implements UploadStore.
func (db *DB) DeleteUpload(ctx context.Context, id string) error {
	if _, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM uploads WHERE id = ?`), id); err != nil {
		return fmt.Errorf("store: delete upload: %w", err)
	}
	return nil
}

// UploadUsage implements UploadStore.
func (db *DB) UploadUsage(ctx context.Context, user string) (int64, error) {
	var n int64
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT COALESCE(SUM(size), 0) FROM uploads WHERE username = ?`), user).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: upload usage: %w", err)
	}
	return n, nil
}

// ExpireUploads implements UploadStore: it reads a batch and deletes exactly those rows,
// in one transaction, so that what it returns is what went.
func (db *DB) ExpireUploads(ctx context.Context, before time.Time, max int) ([]Upload, error) {
	var out []Upload
	err := db.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, db.rebind(`SELECT `+uploadColumns+` FROM uploads WHERE expires < ? ORDER BY expires LIMIT ?`), unixMicro(before), max)
		if err != nil {
			return fmt.Errorf("store: expire uploads: %w", err)
		}
		for rows.Next() {
			u, err := scanUpload(rows.Scan)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: expire uploads: %w", err)
		}
		for _, u := range out {
			if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM uploads WHERE id = ?`), u.ID); err != nil {
				return fmt.Errorf("store: expire uploads: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
