package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

func benchCheck(expr, tz string) *model.Check {
	c := model.NewCheck(1, now0)
	lastPing := now0.Add(-3 * time.Minute)
	c.Kind, c.Schedule, c.TZ, c.Status, c.LastPing = model.KindCron, expr, tz, model.StatusUp, &lastPing
	return &c
}

func BenchmarkEvaluateCachedCron(b *testing.B) {
	c := benchCheck("*/5 * * * *", "Europe/Riga")
	cache := NewCache(0)
	if _, _, err := Evaluate(c, cache, now0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Evaluate(c, cache, now0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateCachedCronParallel(b *testing.B) {
	c := benchCheck("30 3 * * 1-5", "America/New_York")
	cache := NewCache(0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := Evaluate(c, cache, now0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// One op is a status pass over 1,000 checks sharing 100 distinct schedules.
func BenchmarkEvaluate1000Checks(b *testing.B) {
	zones := []string{"UTC", "Europe/Riga", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
	checks := make([]*model.Check, 1000)
	for i := range checks {
		checks[i] = benchCheck(fmt.Sprintf("%d %d * * *", i%20, i%5), zones[i%len(zones)])
	}
	cache := NewCache(0)
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range checks {
			if _, _, err := Evaluate(c, cache, now0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEvaluateUncachedCron(b *testing.B) {
	c := benchCheck("*/5 * * * *", "Europe/Riga")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Evaluate(c, nil, now0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCronNext(b *testing.B) {
	sch, err := Parse("cron", "*/5 * * * *", "Europe/Riga")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sch.Next(now0)
	}
}
