package ping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// MaxSlugLen is the longest slug a check can have (upstream's column width).
const MaxSlugLen = 100

// ResolverStore is what a Resolver reads and writes; *store.Store
// implements it. A missing row is reported with an error that matches (by
// errors.Is) the sentinel given to NewResolver, so this package needs no
// import of the store and its database/sql.
type ResolverStore interface {
	CheckByCode(ctx context.Context, code string) (model.Check, error)
	ProjectByPingKey(ctx context.Context, key string) (model.Project, error)
	ChecksBySlug(ctx context.Context, projectID int64, slug string) ([]model.Check, error)
	CreateCheck(ctx context.Context, c *model.Check, assignAllChannels bool) error
}

// Submitter records a ping durably; *Writer implements it.
type Submitter interface {
	Submit(ctx context.Context, r Request) (Result, error)
}

// Outcome is what resolving a ping address found.
type Outcome int

// The outcomes of Resolve. Every transport maps them to its own answers
// (HTTP: 200/201/404/409/400; SMTP: accept or 550 at RCPT time).
const (
	// Found: the address names exactly one existing check.
	Found Outcome = iota
	// Created: no check had the slug and one was made (create=true).
	Created
	// NotFound: no such check (or project), and none was made.
	NotFound
	// Ambiguous: several checks of the project share the slug.
	Ambiguous
	// LimitReached: create=true, but the owner already has twice their
	// check limit (upstream's rule for auto-created checks).
	LimitReached
	// SlugTooLong: create=true for a slug longer than MaxSlugLen, which no
	// check can have. Without create such a slug is simply NotFound.
	SlugTooLong
)

func (o Outcome) String() string {
	switch o {
	case Found:
		return "found"
	case Created:
		return "created"
	case NotFound:
		return "not found"
	case Ambiguous:
		return "ambiguous slug"
	case LimitReached:
		return "check limit reached"
	case SlugTooLong:
		return "slug too long"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Address names a check the way a ping does: by its UUID (Code), or by the
// project's ping key and the check's slug. Code wins when both are set.
type Address struct {
	Code    string // canonical lowercase UUID
	PingKey string
	Slug    string
}

// Resolution is the answer of Resolve. CheckID is set for Found and Created.
type Resolution struct {
	Outcome Outcome
	CheckID int64
	// code is the UUID the id was cached under, so that Record can forget
	// it when the writer finds the check deleted.
	code string
}

// ResolverOptions configure a Resolver; every field is optional.
type ResolverOptions struct {
	// Now is the clock for created checks; time.Now when nil.
	Now func() time.Time
	// CacheSize bounds the UUID → id cache; 100,000 when zero or less.
	CacheSize int
	Logger    *slog.Logger
	// Room answers how many checks a project owner has and may have
	// (checks.RoomFunc, the rule the API and UI use too); without it
	// ?create=1 makes no check and Resolve fails.
	Room func(ctx context.Context, ownerID int64) (used, limit int, err error)
}

// Resolver turns ping addresses into check ids and records pings for them:
// the part of a ping that every transport (HTTP, SMTP) shares. It caches
// UUID → id so the hot path needs no query besides the writer's
// transaction; slug addresses are looked up every time, since a slug can
// move to another check at any moment.
type Resolver struct {
	st       ResolverStore
	notFound error
	w        Submitter
	now      func() time.Time
	log      *slog.Logger
	ids      *codeCache
	room     func(ctx context.Context, ownerID int64) (used, limit int, err error)
}

// NewResolver builds a Resolver over st (notFound is the error, matched with
// errors.Is, by which st reports a missing row: store.ErrNotFound) that
// records pings through w.
func NewResolver(st ResolverStore, notFound error, w Submitter, opts ResolverOptions) *Resolver {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 100_000
	}
	return &Resolver{st: st, notFound: notFound, w: w, now: opts.Now, log: opts.Logger, ids: newCodeCache(opts.CacheSize), room: opts.Room}
}

// Resolve finds the check that a names. With create, a slug address that
// names no check of an existing project makes one (upstream's ?create=1),
// within the owner's limit. An error is a store failure, never a missing
// row.
func (r *Resolver) Resolve(ctx context.Context, a Address, create bool) (Resolution, error) {
	if a.Code != "" {
		return r.byCode(ctx, a.Code)
	}
	return r.bySlug(ctx, a.PingKey, a.Slug, create)
}

func (r *Resolver) byCode(ctx context.Context, code string) (Resolution, error) {
	if id, ok := r.ids.get(code); ok {
		return Resolution{Outcome: Found, CheckID: id, code: code}, nil
	}
	c, err := r.st.CheckByCode(ctx, code)
	if r.isNotFound(err) {
		return Resolution{Outcome: NotFound}, nil
	}
	if err != nil {
		return Resolution{}, fmt.Errorf("look up check: %w", err)
	}
	r.ids.put(code, c.ID)
	return Resolution{Outcome: Found, CheckID: c.ID, code: code}, nil
}

func (r *Resolver) bySlug(ctx context.Context, key, slug string, create bool) (Resolution, error) {
	proj, err := r.st.ProjectByPingKey(ctx, key)
	if r.isNotFound(err) {
		return Resolution{Outcome: NotFound}, nil
	}
	if err != nil {
		return Resolution{}, fmt.Errorf("look up project: %w", err)
	}
	// A slug longer than the column can name no check. Upstream answers 404
	// without create and fails in the database with it; SlugTooLong lets
	// the transport give a precise answer instead.
	if len(slug) > MaxSlugLen {
		if create {
			return Resolution{Outcome: SlugTooLong}, nil
		}
		return Resolution{Outcome: NotFound}, nil
	}
	checks, err := r.st.ChecksBySlug(ctx, proj.ID, slug)
	if err != nil {
		return Resolution{}, fmt.Errorf("look up slug: %w", err)
	}
	switch len(checks) {
	case 0:
	case 1:
		return Resolution{Outcome: Found, CheckID: checks[0].ID}, nil
	default:
		return Resolution{Outcome: Ambiguous}, nil
	}
	if !create {
		return Resolution{Outcome: NotFound}, nil
	}
	return r.provision(ctx, proj, slug)
}

// provision creates a check with upstream's defaults and every channel of
// the project attached. The owner may reach twice the check limit this way
// (upstream's rule); a check limit of 0 refuses every auto-created check.
func (r *Resolver) provision(ctx context.Context, proj model.Project, slug string) (Resolution, error) {
	if r.room == nil {
		return Resolution{}, errors.New("create check: the resolver has no check limit (ResolverOptions.Room)")
	}
	used, limit, err := r.room(ctx, proj.OwnerID)
	if err != nil {
		return Resolution{}, fmt.Errorf("create check: %w", err)
	}
	if used >= 2*limit {
		return Resolution{Outcome: LimitReached}, nil
	}
	c := model.NewCheck(proj.ID, r.now())
	c.Name, c.Slug = slug, slug
	if err := r.st.CreateCheck(ctx, &c, true); err != nil {
		return Resolution{}, fmt.Errorf("create check: %w", err)
	}
	r.log.Info("check created by a ping", "project", proj.Code, "slug", slug, "uuid", c.Code)
	return Resolution{Outcome: Created, CheckID: c.ID}, nil
}

// Record hands ev for the resolved check to the writer and waits until it
// is durable. ErrCheckGone (wrapped or returned in Result.Err, as the
// writer reports it) means the check was deleted since it was resolved; the
// cached id is forgotten then. res must be Found or Created.
func (r *Resolver) Record(ctx context.Context, res Resolution, ev Event) (Result, error) {
	if res.Outcome != Found && res.Outcome != Created {
		return Result{}, fmt.Errorf("record a ping: resolution is %v", res.Outcome)
	}
	out, err := r.w.Submit(ctx, Request{CheckID: res.CheckID, Event: ev})
	if err == nil {
		err = out.Err
	}
	if errors.Is(err, ErrCheckGone) && res.code != "" {
		r.ids.drop(res.code)
	}
	return out, err
}

func (r *Resolver) isNotFound(err error) bool {
	return err != nil && r.notFound != nil && errors.Is(err, r.notFound)
}

// codeCache maps check UUIDs to row ids so the hot path skips a query. It
// holds only positive answers: a UUID is never reused, and a deleted check is
// noticed by the writer (ErrCheckGone) and evicted.
type codeCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]int64
}

func newCodeCache(max int) *codeCache { return &codeCache{max: max, m: make(map[string]int64)} }

func (c *codeCache) get(code string) (int64, bool) {
	c.mu.RLock()
	id, ok := c.m[code]
	c.mu.RUnlock()
	return id, ok
}

func (c *codeCache) put(code string, id int64) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Wholesale reset keeps the bound without LRU bookkeeping on the hot path.
		c.m = make(map[string]int64)
	}
	c.m[code] = id
	c.mu.Unlock()
}

func (c *codeCache) drop(code string) {
	c.mu.Lock()
	delete(c.m, code)
	c.mu.Unlock()
}
