-- Views first: a view left without its source or target table breaks
-- inserts into the source.
DROP VIEW IF EXISTS searches_daily_mv;
DROP VIEW IF EXISTS commits_daily_mv;
DROP VIEW IF EXISTS conversations_daily_mv;
DROP TABLE IF EXISTS searches_daily;
DROP TABLE IF EXISTS commits_daily;
DROP TABLE IF EXISTS conversations_daily;
DROP TABLE IF EXISTS search_events;
DROP TABLE IF EXISTS commit_events;
DROP TABLE IF EXISTS message_events;
DROP TABLE IF EXISTS conversation_events;
