package db

import (
	"database/sql"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// OpenCache opens a pool of one connection keeping at most size statements.
func OpenCache(url string, size int) (*sqlx.DB, error) {
	pc, err := pq.NewConnector(url)
	if err != nil {
		return nil, err
	}
	d := sqlx.NewDb(sql.OpenDB(connector{pq: pc, size: size}), "postgres")
	d.SetMaxOpenConns(1)
	return d, nil
}
