package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/context-intelligence/ctxintel/search"
)

func TestScratchSample(t *testing.T) {
	p := NewPlan(GenConfig{Seed: 1, Messages: 100000})
	fmt.Println("orgs", len(p.Orgs), "users", p.Users, "convs", p.Conversations, "top", p.Orgs[0].Messages, p.Orgs[1].Messages, p.Orgs[4].Messages, p.Orgs[len(p.Orgs)-1].Messages)
	c := p.Conversation(&p.Orgs[0], 3)
	fmt.Println(c.Title, c.Tool, c.Model, c.Branch, c.StartedAt)
	for _, m := range c.Messages[:4] {
		fmt.Printf("--- %s (%d words)\n%s\n", m.Role, len(splitWords(m.Text)), m.Text)
	}
	start := time.Now()
	words, chunks, msgs := 0, 0, 0
	o := &p.Orgs[0]
	for i := 0; i < 2000; i++ {
		c := p.Conversation(o, i)
		vs := p.ConversationVectors(c)
		for j, m := range c.Messages {
			words += len(splitWords(m.Text))
			chunks += len(vs[j])
			msgs++
		}
	}
	fmt.Println("msgs", msgs, "avg words", float64(words)/float64(msgs), "chunks/msg", float64(chunks)/float64(msgs), time.Since(start))
	if os.Getenv("CALIB") != "" {
		m, err := search.LoadUSELite("/work/main/.deps/models/use-lite")
		if err != nil {
			t.Fatal(err)
		}
		cal, err := Calibrate(context.Background(), p, m, 6, 8, 4)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%+v\n", cal)
	}
}

func splitWords(s string) []string { return strings.Fields(s) }
