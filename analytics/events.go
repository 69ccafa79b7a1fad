package analytics

import (
	"context"
	"errors"
	"math"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// The ClickHouse event tables (migrations/clickhouse/0003_events.up.sql).
const (
	TableConversationEvents = "conversation_events"
	TableMessageEvents      = "message_events"
	TableCommitEvents       = "commit_events"
	TableSearchEvents       = "search_events"
	TableLinkEvents         = "link_events"
)

// The daily rollups, filled by materialized views from the event tables.
const (
	TableConversationsDaily = "conversations_daily"
	TableCommitsDaily       = "commits_daily"
	TableSearchesDaily      = "searches_daily"
	TableAdopters           = "adopters"
)

// The knowledge-gap topics the clustering job writes (topics.go).
const (
	TableTopicRuns      = "topic_runs"
	TableTopics         = "topics"
	TableTopicQuestions = "topic_questions"
)

// tables lists every analytics table, event tables first (Wipe).
var tables = []string{TableConversationEvents, TableMessageEvents, TableCommitEvents, TableSearchEvents, TableLinkEvents,
	TableConversationsDaily, TableCommitsDaily, TableSearchesDaily, TableAdopters,
	TableTopicRuns, TableTopics, TableTopicQuestions}

// Columns written to each event table, in the order of the rows' values.
var (
	ConversationEventColumns = []string{"org_id", "conversation_id", "user_id", "tool", "models", "repo", "created_at",
		"started_at", "ended_at", "messages", "user_messages", "tool_calls", "input_tokens", "output_tokens",
		"cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "usage_models", "usage_input_tokens",
		"usage_output_tokens", "usage_cache_read_tokens", "usage_cache_write_tokens", "usage_reasoning_tokens", "version"}
	MessageEventColumns = []string{"org_id", "conversation_id", "message_id", "user_id", "tool", "role", "model",
		"sent_at", "chars", "input_tokens", "output_tokens", "version"}
	CommitEventColumns = []string{"org_id", "commit_id", "repo", "sha", "author_email", "committed_at",
		"additions", "deletions", "files", "version"}
	SearchEventColumns = []string{"org_id", "event_id", "user_id", "occurred_at", "mode", "results", "latency_ms",
		"no_result", "query"}
	TopicRunColumns      = []string{"org_id", "run_id", "computed_at", "window_from", "window_to", "questions", "topics", "model"}
	TopicColumns         = []string{"org_id", "run_id", "topic", "computed_at", "label", "terms"}
	TopicQuestionColumns = []string{"org_id", "run_id", "topic", "message_id", "conversation_id", "user_id", "asked_at"}
	LinkEventColumns     = []string{"org_id", "conversation_id", "commit_id", "commit_sha", "repo", "committed_at",
		"confidence", "signals", "linked", "user_id", "conversation_started_at", "additions", "deletions", "version"}
)

// EventWriter appends rows to a ClickHouse table and returns once they are
// stored; *warehouse.BatchWriter is one.
type EventWriter interface {
	Write(ctx context.Context, rows ...[]any) error
}

// Writers are the writers of the event tables, each taking rows of its
// table's columns (ConversationEventColumns, …).
type Writers struct {
	Conversations EventWriter
	Messages      EventWriter
	Commits       EventWriter
	Searches      EventWriter
	Links         EventWriter
}

// BatchWriters are Writers backed by one warehouse.BatchWriter per table.
type BatchWriters struct {
	Writers
	all []*warehouse.BatchWriter
}

// NewBatchWriters starts a batch writer per event table on ch. Close them
// at shutdown, after the job workers have stopped, to flush the last rows.
func NewBatchWriters(ch warehouse.ClickHouse, opts warehouse.BatchOptions) *BatchWriters {
	open := func(table string, columns []string) *warehouse.BatchWriter {
		return warehouse.NewBatchWriter(ch, table, columns, opts)
	}
	conversations := open(TableConversationEvents, ConversationEventColumns)
	messages := open(TableMessageEvents, MessageEventColumns)
	commits := open(TableCommitEvents, CommitEventColumns)
	searches := open(TableSearchEvents, SearchEventColumns)
	links := open(TableLinkEvents, LinkEventColumns)
	return &BatchWriters{
		Writers: Writers{Conversations: conversations, Messages: messages, Commits: commits, Searches: searches, Links: links},
		all:     []*warehouse.BatchWriter{conversations, messages, commits, searches, links},
	}
}

// Close flushes and stops every writer.
func (b *BatchWriters) Close(ctx context.Context) error {
	var errs []error
	for _, w := range b.all {
		errs = append(errs, w.Close(ctx))
	}
	return errors.Join(errs...)
}

// Rows of the event tables, shared by projection and Rebuild so that both
// write exactly the same values for the same state.

func conversationRow(e warehouse.ConversationEvent) []any {
	n := len(e.Usage)
	models := make([]string, n)
	input, output, cacheRead, cacheWrite, reasoning := make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
	for i, u := range e.Usage {
		models[i] = u.Model
		input[i], output[i], cacheRead[i], cacheWrite[i], reasoning[i] = u64(u.Input), u64(u.Output), u64(u.CacheRead), u64(u.CacheWrite), u64(u.Reasoning)
	}
	return []any{e.OrgID, e.ID, e.UserID, e.Tool, nonNil(e.Models), e.Repo, e.CreatedAt,
		e.OccurredAt, e.EndedAt, u32(e.Messages), u32(e.UserMessages), u32(e.ToolCalls),
		u64(e.Tokens.Input), u64(e.Tokens.Output), u64(e.Tokens.CacheRead), u64(e.Tokens.CacheWrite), u64(e.Tokens.Reasoning),
		models, input, output, cacheRead, cacheWrite, reasoning, e.ReadAt}
}

func linkRow(e warehouse.LinkEvent) []any {
	linked := uint8(0)
	if e.Linked {
		linked = 1
	}
	return []any{e.OrgID, e.ConversationID, e.CommitID, e.CommitSHA, e.Repo, e.CommittedAt, float32(e.Confidence),
		nonNil(e.Signals), linked, e.UserID, e.StartedAt, u32(e.Additions), u32(e.Deletions), e.Version}
}

func messageRow(e warehouse.MessageEvent) []any {
	return []any{e.OrgID, e.ConversationID, e.ID, e.UserID, e.Tool, e.Role, e.Model,
		e.SentAt, u32(e.Chars), u64(e.InputTokens), u64(e.OutputTokens), e.ReadAt}
}

func commitRow(e warehouse.CommitEvent) []any {
	return []any{e.OrgID, e.ID, e.Repo, e.SHA, e.AuthorEmail, e.CommittedAt,
		u32(e.Additions), u32(e.Deletions), u32(e.Files), e.ReadAt}
}

func searchRow(e warehouse.StoredSearchEvent) []any {
	noResult := uint8(0)
	if e.Results == 0 {
		noResult = 1
	}
	return []any{e.OrgID, e.ID, e.UserID, e.OccurredAt, e.Mode, u32(e.Results), e.LatencyMS, noResult, e.Query}
}

// u32 and u64 fit Postgres integers into ClickHouse's unsigned columns;
// values outside the range (never expected: counts are not negative) are
// clamped rather than wrapped around.
func u32(n int64) uint32 { return uint32(min(max(n, 0), math.MaxUint32)) }

func u64(n int64) uint64 { return uint64(max(n, 0)) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
