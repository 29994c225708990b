package store

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// shared is the one PostgreSQL the package's tests share, started by the first test that
// needs it; each test gets a fresh database in it. A server per test made the suite take
// minutes on CI's two cores.
var shared struct {
	once sync.Once
	pg   *testsrv.Postgres
	err  error
	n    atomic.Int32
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.pg != nil {
		shared.pg.Close()
	}
	os.Exit(code)
}

// freshPostgres returns the connection string of a new, empty database.
func freshPostgres(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() { shared.pg, shared.err = testsrv.LaunchPostgres() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	dsn, err := shared.pg.CreateDatabase(fmt.Sprintf("test%d", shared.n.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}
