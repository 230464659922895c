// Command benchref is the bare reference handler of `make bench-http`: the
// TechEmpower "fortunes" test on the stack Mend is built on (Echo, lib/pq
// through database/sql, html/template), with nothing else. Each request
// selects the 12 rows of a table with one prepared statement, adds one
// row, sorts them and renders an HTML table. Mend's pages are measured
// against it in the same run, on the same machine and database cluster.
//
//	DATABASE_URL=postgres://… BENCHREF_ADDR=127.0.0.1:18081 benchref
//
// It creates and fills its table ("fortune") in the database it is given:
// give it a database of its own, never Mend's.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	_ "github.com/lib/pq"
)

type fortune struct {
	ID      int
	Message string
}

// The twelve rows of TechEmpower's fortune table.
var fortunes = []string{
	"fortune: No such file or directory",
	"A computer scientist is someone who fixes things that aren't broken.",
	"After enough decimal places, nobody gives a damn.",
	"A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
	"A computer program does what you tell it to do, not what you want it to do.",
	"Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
	"Any program that runs right is obsolete.",
	"A list is only as strong as its weakest link. — Donald Knuth",
	"Feature: A bug with seniority.",
	"Computers make very fast, very accurate mistakes.",
	`<script>alert("This should not be displayed in a browser alert box.");</script>`,
	"フレームワークのベンチマーク",
}

var page = template.Must(template.New("fortunes").Parse(`<!DOCTYPE html>
<html><head><title>Fortunes</title></head><body><table>
<tr><th>id</th><th>message</th></tr>
{{range .}}<tr><td>{{.ID}}</td><td>{{.Message}}</td></tr>
{{end}}</table></body></html>`))

func main() {
	url := os.Getenv("DATABASE_URL")
	addr := os.Getenv("BENCHREF_ADDR")
	if url == "" || addr == "" {
		log.Fatal("benchref: set DATABASE_URL and BENCHREF_ADDR")
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		log.Fatal(err)
	}
	// The same pool limits as Mend's defaults (MEND_DB_MAX_OPEN).
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	if err := setup(db); err != nil {
		log.Fatal(err)
	}
	sel, err := db.Prepare(`SELECT id, message FROM fortune`)
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/fortunes", func(c echo.Context) error {
		rows, err := sel.QueryContext(c.Request().Context())
		if err != nil {
			return err
		}
		defer rows.Close()
		list := make([]fortune, 0, 16)
		for rows.Next() {
			var f fortune
			if err := rows.Scan(&f.ID, &f.Message); err != nil {
				return err
			}
			list = append(list, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		list = append(list, fortune{Message: "Additional fortune added at request time."})
		sort.Slice(list, func(i, j int) bool { return list[i].Message < list[j].Message })
		var buf bytes.Buffer
		if err := page.Execute(&buf, list); err != nil {
			return err
		}
		return c.HTMLBlob(http.StatusOK, buf.Bytes())
	})
	srv := &http.Server{Addr: addr, Handler: e, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// setup creates and fills the fortune table once.
func setup(db *sql.DB) error {
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS fortune (id integer PRIMARY KEY, message text NOT NULL)`); err != nil {
		return err
	}
	for i, m := range fortunes {
		if _, err := db.Exec(`INSERT INTO fortune (id, message) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, i+1, m); err != nil {
			return err
		}
	}
	return nil
}
