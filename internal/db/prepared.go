package db

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/lib/pq"
)

// StatementCacheSize is how many prepared statements each connection of the
// pool keeps (least recently used first out).
const StatementCacheSize = 128

// The pool's connections prepare every query that has arguments once, as a
// named statement kept for the life of the connection, and run it again by
// name: the way pgx works by default. lib/pq alone sends each query as an
// unnamed statement: a round trip to parse and describe it, another to run
// it, and a fresh parse, analysis and plan every time. With the statement
// kept, a query is one round trip, and PostgreSQL plans it once per
// connection when a generic plan is as good as a custom one (plan_cache_mode
// auto: the first five runs are planned with their values, then a generic
// plan is used only if it is not costlier). This sits at the driver, so
// every query of every package (and River's, and goose's) gains it without
// a change at the call site.
//
// Queries without arguments keep lib/pq's simple protocol (one round trip,
// several statements allowed). Explicit Prepare, COPY and transactions are
// lib/pq's own. A statement whose result type changed under it (a table it
// reads was altered so that its columns differ; Mend names its columns, so
// an added column does not do that) is dropped from the cache; outside a
// transaction the query is retried once, prepared afresh.
//
// Behind PgBouncer, use session pooling, or transaction pooling with
// max_prepared_statements set (PgBouncer 1.21 or later).

// connector opens lib/pq connections that keep their statements.
type connector struct {
	pq   *pq.Connector
	size int
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.pq.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{pq: cn, size: c.size, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c connector) Driver() driver.Driver { return c.pq.Driver() }

// pqConn is what lib/pq's connection implements and conn passes on.
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.NamedValueChecker
	driver.SessionResetter
	driver.Validator
}

type cached struct {
	query string
	stmt  driver.Stmt
}

// conn is one connection with its statements. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type conn struct {
	pq      driver.Conn
	size    int
	stmts   map[string]*list.Element // query → element of lru holding *cached
	lru     *list.List               // most recently used first
	inTx    bool
	closing []driver.Stmt // evicted during a transaction: closed after it
}

func (c *conn) p() pqConn { return c.pq.(pqConn) }

// stmt returns the connection's statement for query, preparing it on
// first use.
func (c *conn) stmt(ctx context.Context, query string) (driver.Stmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cached).stmt, nil
	}
	if !c.inTx {
		c.closeEvicted()
	}
	st, err := c.p().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = c.lru.PushFront(&cached{query: query, stmt: st})
	for c.lru.Len() > c.size {
		c.evict(c.lru.Back())
	}
	return st, nil
}

// evict drops a statement from the cache and closes it on the server (after
// the transaction, when one is open: a failed transaction refuses commands).
func (c *conn) evict(e *list.Element) {
	x := e.Value.(*cached)
	c.lru.Remove(e)
	delete(c.stmts, x.query)
	c.closing = append(c.closing, x.stmt)
	if !c.inTx {
		c.closeEvicted()
	}
}

func (c *conn) closeEvicted() {
	for _, st := range c.closing {
		st.Close()
	}
	c.closing = c.closing[:0]
}

func (c *conn) forget(query string) {
	if e, ok := c.stmts[query]; ok {
		c.evict(e)
	}
}

// staleResult reports PostgreSQL's "cached plan must not change result type".
func staleResult(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan")
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.p().QueryContext(ctx, query, args)
	}
	for try := 0; ; try++ {
		st, err := c.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
		if err != nil && staleResult(err) {
			c.forget(query)
			if !c.inTx && try == 0 {
				continue
			}
		}
		return rows, err
	}
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		return c.p().ExecContext(ctx, query, args)
	}
	for try := 0; ; try++ {
		st, err := c.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
		if err != nil && staleResult(err) {
			c.forget(query)
			if !c.inTx && try == 0 {
				continue
			}
		}
		return res, err
	}
}

func (c *conn) Prepare(query string) (driver.Stmt, error) { return c.pq.Prepare(query) }

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.p().PrepareContext(ctx, query)
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.p().BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return &txn{Tx: tx, c: c}, nil
}

func (c *conn) Close() error { return c.pq.Close() }

func (c *conn) Ping(ctx context.Context) error { return c.p().Ping(ctx) }

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error { return c.p().CheckNamedValue(nv) }

func (c *conn) ResetSession(ctx context.Context) error {
	if err := c.p().ResetSession(ctx); err != nil {
		return err
	}
	c.closeEvicted()
	return nil
}

func (c *conn) IsValid() bool { return c.p().IsValid() }

// txn notes the end of a transaction.
type txn struct {
	driver.Tx
	c *conn
}

func (t *txn) Commit() error {
	err := t.Tx.Commit()
	t.c.inTx = false
	return err
}

func (t *txn) Rollback() error {
	err := t.Tx.Rollback()
	t.c.inTx = false
	return err
}
