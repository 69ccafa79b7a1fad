-- Each link carries its commit's lines, so that the lines of the commits
-- linked to each person's conversations are read from the links alone
-- (productivity by person or team joined every commit of the window).
-- The projection re-writes a commit's links whenever the commit changes.
ALTER TABLE link_events
    ADD COLUMN IF NOT EXISTS additions UInt32,
    ADD COLUMN IF NOT EXISTS deletions UInt32;

-- The links stored before this migration get their commits' lines as a
-- newer version of themselves (1 ms later, so it wins on merge and under
-- FINAL). Running it twice writes the same rows again.
INSERT INTO link_events (org_id, conversation_id, commit_id, commit_sha, repo, committed_at, confidence, signals,
    linked, user_id, conversation_started_at, additions, deletions, version)
SELECT l.org_id, l.conversation_id, l.commit_id, l.commit_sha, l.repo, l.committed_at, l.confidence, l.signals,
    l.linked, l.user_id, l.conversation_started_at, c.additions, c.deletions, l.version + toIntervalMillisecond(1)
FROM (SELECT org_id, commit_id, additions, deletions FROM commit_events FINAL) AS c
INNER JOIN (SELECT * FROM link_events FINAL WHERE linked = 1) AS l ON l.org_id = c.org_id AND l.commit_id = c.commit_id;
