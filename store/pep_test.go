package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func pepNode(name string, max int) Node {
	return Node{Name: name, Config: NodeConfig{AccessModel: "presence", PersistItems: true, MaxItems: max}}
}

func item(id string) Item {
	return Item{ID: id, At: time.Now(), Payload: []byte("<x xmlns='urn:t'>" + id + "</x>")}
}

func itemIDs(its []Item) string {
	s := ""
	for _, it := range its {
		s += it.ID + " "
	}
	return s
}

// TestPEPNodesAndItems: publish keeps the newest max_items, replaces an item with the same
// id as the newest, retrieves by id and by count, retracts, and the node bound holds.
func TestPEPNodesAndItems(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		if err := db.PublishPEPItem(ctx, "alice@gw", "n", item("1")); !errors.Is(err, ErrNoNode) {
			t.Errorf("publish without a node: %v", err)
		}
		for i := range 2 {
			if err := db.CreatePEPNode(ctx, "alice@gw", pepNode(fmt.Sprint("n", i), 3), 2); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreatePEPNode(ctx, "alice@gw", pepNode("n0", 9), 2); err != nil {
			t.Errorf("creating an existing node: %v", err)
		}
		if err := db.CreatePEPNode(ctx, "alice@gw", pepNode("n2", 3), 2); !errors.Is(err, ErrFull) {
			t.Errorf("third node of two: %v", err)
		}
		for _, id := range []string{"a", "b", "c", "d", "b"} {
			if err := db.PublishPEPItem(ctx, "alice@gw", "n0", item(id)); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.PEPItems(ctx, "alice@gw", "n0", nil, 0)
		if err != nil || itemIDs(all) != "b d c " {
			t.Errorf("items %q (%v), want b d c", itemIDs(all), err)
		}
		if string(all[0].Payload) != "<x xmlns='urn:t'>b</x>" {
			t.Errorf("payload %q", all[0].Payload)
		}
		if got, _ := db.PEPItems(ctx, "alice@gw", "n0", nil, 1); itemIDs(got) != "b " {
			t.Errorf("max 1: %q", itemIDs(got))
		}
		if got, _ := db.PEPItems(ctx, "alice@gw", "n0", []string{"c", "zz"}, 0); itemIDs(got) != "c " {
			t.Errorf("by id: %q", itemIDs(got))
		}
		if ok, err := db.RetractPEPItem(ctx, "alice@gw", "n0", "d"); !ok || err != nil {
			t.Errorf("retract: %v %v", ok, err)
		}
		if ok, _ := db.RetractPEPItem(ctx, "alice@gw", "n0", "d"); ok {
			t.Error("retracted twice")
		}
		n, err := db.PEPNode(ctx, "alice@gw", "n0")
		if err != nil || n.Config != pepNode("", 3).Config {
			t.Errorf("node %+v (%v)", n, err)
		}
		if _, err := db.PEPNode(ctx, "bob@gw", "n0"); !errors.Is(err, ErrNoNode) {
			t.Errorf("bob's node: %v", err)
		}
		if ns, _ := db.PEPNodes(ctx, "alice@gw"); len(ns) != 2 || ns[1].Name != "n1" {
			t.Errorf("nodes %+v", ns)
		}
	})
}

// TestPEPConfigure: a smaller max_items or persist_items off drops items; delete takes the
// node and its items; a node without persistence keeps none.
func TestPEPConfigure(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, reopen func() *DB) {
		if err := db.CreatePEPNode(ctx, "alice@gw", pepNode("n", 10), 10); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"a", "b", "c"} {
			if err := db.PublishPEPItem(ctx, "alice@gw", "n", item(id)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.ConfigurePEPNode(ctx, "alice@gw", pepNode("n", 2)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.PEPItems(ctx, "alice@gw", "n", nil, 0); itemIDs(got) != "c b " {
			t.Errorf("after max 2: %q", itemIDs(got))
		}
		if err := db.ConfigurePEPNode(ctx, "alice@gw", pepNode("zz", 2)); !errors.Is(err, ErrNoNode) {
			t.Errorf("configure a missing node: %v", err)
		}
		other := reopen() // a restart or another host sees the same
		if got, _ := other.PEPItems(ctx, "alice@gw", "n", nil, 0); itemIDs(got) != "c b " {
			t.Errorf("other handle: %q", itemIDs(got))
		}
		volatile := Node{Name: "v", Config: NodeConfig{AccessModel: "open", MaxItems: 5}}
		if err := db.CreatePEPNode(ctx, "alice@gw", volatile, 10); err != nil {
			t.Fatal(err)
		}
		if err := db.PublishPEPItem(ctx, "alice@gw", "v", Item{ID: "x", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.PEPItems(ctx, "alice@gw", "v", nil, 0); len(got) != 0 {
			t.Errorf("a node without persistence kept %q", itemIDs(got))
		}
		if ok, err := db.DeletePEPNode(ctx, "alice@gw", "n"); !ok || err != nil {
			t.Errorf("delete: %v %v", ok, err)
		}
		if got, _ := db.PEPItems(ctx, "alice@gw", "n", nil, 0); len(got) != 0 {
			t.Errorf("items of a deleted node: %q", itemIDs(got))
		}
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		if ns, _ := db.PEPNodes(ctx, "alice@gw"); len(ns) != 0 {
			t.Errorf("erased user keeps nodes %+v", ns)
		}
	})
}

func TestPrivateXML(t *testing.T) {
	forEachDriver(t, func(t *testing.T, db *DB, _ Config, _ func() *DB) {
		if b, err := db.PrivateXML(ctx, "alice@gw", "storage:bookmarks"); b != nil || err != nil {
			t.Errorf("empty: %q %v", b, err)
		}
		for _, v := range []string{"<a/>", "<b/>"} {
			if err := db.SetPrivateXML(ctx, "alice@gw", "storage:bookmarks", []byte(v), 1); err != nil {
				t.Fatal(err)
			}
		}
		if b, _ := db.PrivateXML(ctx, "alice@gw", "storage:bookmarks"); string(b) != "<b/>" {
			t.Errorf("got %q", b)
		}
		if err := db.SetPrivateXML(ctx, "alice@gw", "urn:other", []byte("<c/>"), 1); !errors.Is(err, ErrFull) {
			t.Errorf("second namespace of one: %v", err)
		}
		if err := db.EraseUser(ctx, "alice@gw"); err != nil {
			t.Fatal(err)
		}
		if b, _ := db.PrivateXML(ctx, "alice@gw", "storage:bookmarks"); b != nil {
			t.Errorf("erased user keeps %q", b)
		}
	})
}
