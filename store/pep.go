package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NodeConfig is what a PEP node is configured with (XEP-0060 node configuration, the
// fields XEP-0223's publish-options check).
type NodeConfig struct {
	AccessModel  string // "presence", "open" or "whitelist"
	PersistItems bool   // false: items are notified, not kept
	MaxItems     int    // items kept, oldest dropped first
}

// Node is one PEP node of a user.
type Node struct {
	Name   string
	Config NodeConfig
}

// Item is one published item of a node.
type Item struct {
	ID      string
	At      time.Time // when it was published
	Payload []byte    // the serialised payload element (the <item/>'s one child), or empty
}

// ErrNoNode is returned for a PEP node that does not exist.
var ErrNoNode = errors.New("store: no such node")

// PEPStore keeps users' personal eventing nodes and items (XEP-0163) and their private XML
// storage (XEP-0049). A user's bounds are the caller's: the node count on CreatePEPNode,
// the items per node in NodeConfig.MaxItems, the item size before PublishPEPItem.
type PEPStore interface {
	// PEPNodes returns the user's nodes, by name.
	PEPNodes(ctx context.Context, user string) ([]Node, error)
	// PEPNode returns one node, or ErrNoNode.
	PEPNode(ctx context.Context, user, node string) (Node, error)
	// CreatePEPNode creates a node, unless the user already has maxNodes (ErrFull); an
	// existing node is left as it is.
	CreatePEPNode(ctx context.Context, user string, n Node, maxNodes int) error
	// ConfigurePEPNode changes a node's configuration (ErrNoNode) and drops the items
	// the new one does not keep.
	ConfigurePEPNode(ctx context.Context, user string, n Node) error
	// DeletePEPNode deletes a node and its items; false if there was none.
	DeletePEPNode(ctx context.Context, user, node string) (bool, error)
	// PublishPEPItem stores it as the node's newest item, replacing one with its ID, and
	// drops the oldest past the node's MaxItems (ErrNoNode without the node).
	PublishPEPItem(ctx context.Context, user, node string, it Item) error
	// PEPItems returns the node's items, newest first: those with ids if any are given,
	// else up to max (0: all).
	PEPItems(ctx context.Context, user, node string, ids []string, max int) ([]Item, error)
	// RetractPEPItem deletes one item; false if there was none.
	RetractPEPItem(ctx context.Context, user, node, id string) (bool, error)
	// PrivateXML returns the user's private XML element of namespace ns (nil if none).
	PrivateXML(ctx context.Context, user, ns string) ([]byte, error)
	// SetPrivateXML stores it, unless the user already keeps maxSpaces other namespaces
	// (ErrFull).
	SetPrivateXML(ctx context.Context, user, ns string, xml []byte, maxSpaces int) error
}

var _ PEPStore = (*DB)(nil)

// PEPNodes implements PEPStore.
func (db *DB) PEPNodes(ctx context.Context, user string) ([]Node, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT node, access_model, persist_items, max_items FROM pep_nodes WHERE username = ? ORDER BY node`), user)
	if err != nil {
		return nil, fmt.Errorf("store: pep nodes: %w", err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		var n Node
		if err := rows.Scan(&n.Name, &n.Config.AccessModel, &n.Config.PersistItems, &n.Config.MaxItems); err != nil {
			return nil, fmt.Errorf("store: pep nodes: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pep nodes: %w", err)
	}
	return out, nil
}

// PEPNode implements PEPStore.
func (db *DB) PEPNode(ctx context.Context, user, node string) (Node, error) {
	n := Node{Name: node}
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT access_model, persist_items, max_items FROM pep_nodes WHERE username = ? AND node = ?`), user, node).
		Scan(&n.Config.AccessModel, &n.Config.PersistItems, &n.Config.MaxItems)
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNoNode
	}
	if err != nil {
		return n, fmt.Errorf("store: pep node: %w", err)
	}
	return n, nil
}

// lockUser serialises one user's bounded writes across PostgreSQL hosts (SQLite has one
// writer).
func (db *DB) lockUser(ctx context.Context, tx *sql.Tx, kind, user string) error {
	if db.driver != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", kind+":"+user); err != nil {
		return fmt.Errorf("store: %s lock: %w", kind, err)
	}
	return nil
}

// CreatePEPNode implements PEPStore.
func (db *DB) CreatePEPNode(ctx context.Context, user string, n Node, maxNodes int) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockUser(ctx, tx, "pep", user); err != nil {
			return err
		}
		var exists, count int
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN node = ? THEN 1 ELSE 0 END), 0) FROM pep_nodes WHERE username = ?`), n.Name, user).
			Scan(&count, &exists); err != nil {
			return fmt.Errorf("store: count pep nodes: %w", err)
		}
		if exists > 0 {
			return nil
		}
		if count >= maxNodes {
			return ErrFull
		}
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO pep_nodes (username, node, access_model, persist_items, max_items) VALUES (?, ?, ?, ?, ?)`),
			user, n.Name, n.Config.AccessModel, n.Config.PersistItems, n.Config.MaxItems)
		if err != nil {
			return fmt.Errorf("store: create pep node: %w", err)
		}
		return nil
	})
}

// ConfigurePEPNode implements PEPStore.
func (db *DB) ConfigurePEPNode(ctx context.Context, user string, n Node) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE pep_nodes SET access_model = ?, persist_items = ?, max_items = ? WHERE username = ? AND node = ?`),
			n.Config.AccessModel, n.Config.PersistItems, n.Config.MaxItems, user, n.Name)
		if err != nil {
			return fmt.Errorf("store: configure pep node: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return ErrNoNode
		}
		keep := n.Config.MaxItems
		if !n.Config.PersistItems {
			keep = 0
		}
		return db.trimItems(ctx, tx, user, n.Name, keep)
	})
}

// trimItems keeps the node's keep newest items.
func (db *DB) trimItems(ctx context.Context, tx *sql.Tx, user, node string, keep int) error {
	_, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM pep_items WHERE username = ? AND node = ? AND seq NOT IN
		(SELECT seq FROM pep_items WHERE username = ? AND node = ? ORDER BY seq DESC LIMIT ?)`), user, node, user, node, keep)
	if err != nil {
		return fmt.Errorf("store: trim pep items: %w", err)
	}
	return nil
}

// DeletePEPNode implements PEPStore.
func (db *DB) DeletePEPNode(ctx context.Context, user, node string) (bool, error) {
	var found bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM pep_items WHERE username = ? AND node = ?`), user, node); err != nil {
			return fmt.Errorf("store: delete pep items: %w", err)
		}
		res, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM pep_nodes WHERE username = ? AND node = ?`), user, node)
		if err != nil {
			return fmt.Errorf("store: delete pep node: %w", err)
		}
		k, _ := res.RowsAffected()
		found = k > 0
		return nil
	})
	return found, err
}

// PublishPEPItem implements PEPStore.
func (db *DB) PublishPEPItem(ctx context.Context, user, node string, it Item) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var max int
		var persist bool
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT max_items, persist_items FROM pep_nodes WHERE username = ? AND node = ?`), user, node).Scan(&max, &persist)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoNode
		}
		if err != nil {
			return fmt.Errorf("store: publish pep item: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM pep_items WHERE username = ? AND node = ? AND item_id = ?`), user, node, it.ID); err != nil {
			return fmt.Errorf("store: publish pep item: %w", err)
		}
		if !persist {
			return nil
		}
		if it.Payload == nil {
			it.Payload = []byte{}
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO pep_items (username, node, item_id, stamp, payload) VALUES (?, ?, ?, ?, ?)`),
			user, node, it.ID, unixMicro(it.At), it.Payload); err != nil {
			return fmt.Errorf("store: publish pep item: %w", err)
		}
		return db.trimItems(ctx, tx, user, node, max)
	})
}

// PEPItems implements PEPStore.
func (db *DB) PEPItems(ctx context.Context, user, node string, ids []string, max int) ([]Item, error) {
	q := `SELECT item_id, stamp, payload FROM pep_items WHERE username = ? AND node = ?`
	args := []any{user, node}
	if len(ids) > 0 {
		q += ` AND item_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	q += ` ORDER BY seq DESC`
	if max > 0 && len(ids) == 0 {
		q += ` LIMIT ?`
		args = append(args, max)
	}
	rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: pep items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var us int64
		if err := rows.Scan(&it.ID, &us, &it.Payload); err != nil {
			return nil, fmt.Errorf("store: pep items: %w", err)
		}
		it.At = fromMicro(us)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pep items: %w", err)
	}
	return out, nil
}

// RetractPEPItem implements PEPStore.
func (db *DB) RetractPEPItem(ctx context.Context, user, node, id string) (bool, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM pep_items WHERE username = ? AND node = ? AND item_id = ?`), user, node, id)
	if err != nil {
		return false, fmt.Errorf("store: retract pep item: %w", err)
	}
	k, _ := res.RowsAffected()
	return k > 0, nil
}

// PrivateXML implements PEPStore.
func (db *DB) PrivateXML(ctx context.Context, user, ns string) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT data FROM private_xml WHERE username = ? AND ns = ?`), user, ns).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: private xml: %w", err)
	}
	return b, nil
}

// SetPrivateXML implements PEPStore.
func (db *DB) SetPrivateXML(ctx context.Context, user, ns string, xml []byte, maxSpaces int) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockUser(ctx, tx, "private", user); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE private_xml SET data = ? WHERE username = ? AND ns = ?`), xml, user, ns)
		if err != nil {
			return fmt.Errorf("store: set private xml: %w", err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM private_xml WHERE username = ?`), user).Scan(&n); err != nil {
			return fmt.Errorf("store: count private xml: %w", err)
		}
		if n >= maxSpaces {
			return ErrFull
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO private_xml (username, ns, data) VALUES (?, ?, ?)`), user, ns, xml); err != nil {
			return fmt.Errorf("store: set private xml: %w", err)
		}
		return nil
	})
}
