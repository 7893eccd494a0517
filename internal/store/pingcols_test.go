package store_test

import "github.com/overdue/overdue/internal/model"

// pingColumns is c as ApplyPings hands it to its callback: the columns a
// ping reads and writes, the others (name, slug, code, tags, description,
// badge key, project, creation time) zero. The tests compare a reloaded
// check through it with the one their callback changed.
func pingColumns(c model.Check) model.Check {
	c.Code, c.ProjectID, c.Name, c.Slug, c.Tags, c.Desc, c.BadgeKey = "", 0, "", "", "", "", ""
	c.Created = model.Check{}.Created
	return c
}
