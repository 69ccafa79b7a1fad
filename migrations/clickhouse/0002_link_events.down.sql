DROP TABLE IF EXISTS link_events;
