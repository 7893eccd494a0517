// Command seed prepares a database for the ping load test: it migrates it,
// creates one project with N checks, each with a slug, and prints one ping
// URL per line: the UUID form on stdout, and with -slug-urls FILE the
// ping key + slug form of the same checks in FILE.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
)

func main() {
	engine := flag.String("engine", "sqlite", "sqlite, postgres or mysql")
	path := flag.String("path", "bench.sqlite", "SQLite file")
	name := flag.String("name", "overdue_bench", "database name (postgres, mysql)")
	host := flag.String("host", "127.0.0.1", "database host")
	user := flag.String("user", "", "database user")
	n := flag.Int("checks", 1000, "number of checks")
	base := flag.String("base", "http://127.0.0.1:8000", "base URL of the server")
	slugURLs := flag.String("slug-urls", "", "file to write the slug ping URLs to")
	flag.Parse()
	var slugOut *os.File
	if *slugURLs != "" {
		f, err := os.Create(*slugURLs)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		slugOut = f
	}

	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Engine: *engine, Path: *path, Name: *name, Host: *host, User: *user, SSLMode: "disable"})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	u := model.User{Email: fmt.Sprintf("bench-%d@example.org", time.Now().UnixNano()), Password: "!", CheckLimit: 1 << 30, PingLogLimit: 100}
	if err := st.CreateUser(ctx, &u); err != nil {
		log.Fatal(err)
	}
	p := model.Project{Code: model.NewCheck(0, time.Now()).Code, Name: "bench", OwnerID: u.ID,
		PingKey: fmt.Sprintf("bench%017d", time.Now().UnixNano()%1e17), BadgeKey: "bench", Created: time.Now().UTC()}
	if err := st.CreateProject(ctx, &p); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < *n; i++ {
		c := model.NewCheck(p.ID, time.Now())
		c.Name = fmt.Sprintf("check %d", i)
		c.Slug = fmt.Sprintf("check-%d", i)
		if err := st.CreateCheck(ctx, &c, false); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(os.Stdout, "%s/ping/%s\n", *base, c.Code)
		if slugOut != nil {
			fmt.Fprintf(slugOut, "%s/ping/%s/%s\n", *base, p.PingKey, c.Slug)
		}
	}
}
