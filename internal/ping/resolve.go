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
	// cached marks a slug address answered from the slug cache: Record
	// has the writer verify slug in the ping's transaction and, when the
	// mapping went stale, resolves slug afresh (with create, as asked).
	cached bool
	slug   model.SlugAddress
	create bool
}

// ResolverOptions configure a Resolver; every field is optional.
type ResolverOptions struct {
	// Now is the clock for created checks; time.Now when nil.
	Now func() time.Time
	// CacheSize bounds the UUID → id cache and, separately, the slug
	// address → id cache; 100,000 entries each when zero or less.
	CacheSize int
	Logger    *slog.Logger
	// Room answers how many checks a project owner has and may have
	// (checks.RoomFunc, the rule the API and UI use too); without it
	// ?create=1 makes no check and Resolve fails.
	Room func(ctx context.Context, ownerID int64) (used, limit int, err error)
}

// Resolver turns ping addresses into check ids and records pings for them:
// the part of a ping that every transport (HTTP, SMTP) shares. It caches
// UUID → id and (ping key, slug) → id so the hot path needs no query
// besides the writer's transaction.
//
// A UUID never moves to another check, so its entry is only dropped when
// the writer finds the check deleted. A slug address can change meaning at
// any moment, on any instance sharing the database (rename, slug change,
// a second check given the slug, delete, ping key rotation, and, for a
// slug that named nothing, a create), and no code path tells the resolver.
// So a cached slug answer is never trusted alone: the writer verifies it in
// the ping's own transaction (Request.Claim) and refuses a stale one, and
// Record then resolves the address from the database and records (or
// answers) as an uncached ping would have. The answers are thus the ones
// the database gives at the instant of the write, whichever instance made
// the change. Only positive, unique answers are cached; without a writer
// that verifies claims (Writer.VerifiesClaims), slugs are not cached.
type Resolver struct {
	st       ResolverStore
	notFound error
	w        Submitter
	now      func() time.Time
	log      *slog.Logger
	ids      *boundedCache[string]
	slugs    *boundedCache[model.SlugAddress] // nil: slug answers are not cached
	room     func(ctx context.Context, ownerID int64) (used, limit int, err error)
}

// ClaimVerifier is a Submitter that verifies Request.Claim; *Writer is one.
type ClaimVerifier interface {
	VerifiesClaims() bool
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
	r := &Resolver{st: st, notFound: notFound, w: w, now: opts.Now, log: opts.Logger, ids: newCache[string](opts.CacheSize), room: opts.Room}
	if v, ok := w.(ClaimVerifier); ok && v.VerifiesClaims() {
		r.slugs = newCache[model.SlugAddress](opts.CacheSize)
	}
	return r
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
	a := model.SlugAddress{PingKey: key, Slug: slug}
	if r.slugs != nil {
		if id, ok := r.slugs.get(a); ok {
			return Resolution{Outcome: Found, CheckID: id, cached: true, slug: a, create: create}, nil
		}
	}
	res, err := r.bySlugStore(ctx, key, slug, create)
	if err == nil && res.Outcome == Found && r.slugs != nil {
		// A change between the lookup and this put leaves a stale entry,
		// which the first verified write catches.
		r.slugs.put(a, res.CheckID)
	}
	return res, err
}

// bySlugStore resolves a slug address from the database.
func (r *Resolver) bySlugStore(ctx context.Context, key, slug string, create bool) (Resolution, error) {
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

// ErrAmbiguous is what Record returns (wrapped, together with ErrCheckGone)
// when a cached slug address turned out, at write time, to name several
// checks: nothing was recorded, and HTTP answers 409 "ambiguous slug".
var ErrAmbiguous = errors.New("ambiguous slug")

// Record hands ev for the resolved check to the writer and waits until it
// is durable. ErrCheckGone (wrapped or returned in Result.Err, as the
// writer reports it) means the check was deleted since it was resolved, or
// a cached slug address names no check now; the cached id is forgotten
// then. res must be Found or Created.
func (r *Resolver) Record(ctx context.Context, res Resolution, ev Event) (Result, error) {
	_, out, err := r.RecordOutcome(ctx, res, ev)
	return out, err
}

// RecordOutcome is Record that also returns the outcome the ping was
// finally recorded (or refused) with: a slug address answered from the
// cache may turn out stale at write time, and is then resolved again, so a
// Found can become Created (?create=1 after a rename), NotFound or
// LimitReached (with an error matching ErrCheckGone), or Ambiguous (an
// error matching ErrAmbiguous and ErrCheckGone).
func (r *Resolver) RecordOutcome(ctx context.Context, res Resolution, ev Event) (Outcome, Result, error) {
	if res.Outcome != Found && res.Outcome != Created {
		return res.Outcome, Result{}, fmt.Errorf("record a ping: resolution is %v", res.Outcome)
	}
	req := Request{CheckID: res.CheckID, Event: ev}
	if res.cached {
		// A copy, so that res itself stays on the stack for the
		// uncached and UUID pings.
		claim := res.slug
		req.Claim = &claim
	}
	out, err := r.submit(ctx, req)
	if errors.Is(err, ErrCheckGone) && res.code != "" {
		r.ids.drop(res.code, res.CheckID)
	}
	if !res.cached || !(errors.Is(err, ErrCheckGone) || errors.Is(err, ErrStaleClaim)) {
		return res.Outcome, out, err
	}
	// The cached answer went stale: forget it and answer as an uncached
	// ping would, from the database now.
	r.slugs.drop(res.slug, res.CheckID)
	fresh, err := r.bySlugStore(ctx, res.slug.PingKey, res.slug.Slug, res.create)
	if err != nil {
		return fresh.Outcome, Result{}, err
	}
	if fresh.Outcome == Found {
		r.slugs.put(res.slug, fresh.CheckID)
	}
	switch fresh.Outcome {
	case Found, Created:
		// Written unverified, as every uncached slug ping is: the lookup
		// just happened.
		out, err := r.submit(ctx, Request{CheckID: fresh.CheckID, Event: ev})
		return fresh.Outcome, out, err
	case Ambiguous:
		return fresh.Outcome, Result{}, fmt.Errorf("record a ping: %w (%w)", ErrAmbiguous, ErrCheckGone)
	default:
		return fresh.Outcome, Result{}, fmt.Errorf("record a ping: slug address %v: %w", fresh.Outcome, ErrCheckGone)
	}
}

func (r *Resolver) submit(ctx context.Context, req Request) (Result, error) {
	out, err := r.w.Submit(ctx, req)
	if err == nil {
		err = out.Err
	}
	return out, err
}

func (r *Resolver) isNotFound(err error) bool {
	return err != nil && r.notFound != nil && errors.Is(err, r.notFound)
}

// boundedCache maps addresses (UUIDs, slug addresses) to check row ids so
// the hot path skips a query. It holds only positive answers.
type boundedCache[K comparable] struct {
	mu  sync.RWMutex
	max int
	m   map[K]int64
}

func newCache[K comparable](max int) *boundedCache[K] {
	return &boundedCache[K]{max: max, m: make(map[K]int64)}
}

func (c *boundedCache[K]) get(k K) (int64, bool) {
	c.mu.RLock()
	id, ok := c.m[k]
	c.mu.RUnlock()
	return id, ok
}

func (c *boundedCache[K]) put(k K, id int64) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Wholesale reset keeps the bound without LRU bookkeeping on the hot path.
		c.m = make(map[K]int64)
	}
	c.m[k] = id
	c.mu.Unlock()
}

// drop forgets k if it still maps to id (another ping may have refreshed
// it meanwhile).
func (c *boundedCache[K]) drop(k K, id int64) {
	c.mu.Lock()
	if c.m[k] == id {
		delete(c.m, k)
	}
	c.mu.Unlock()
}
