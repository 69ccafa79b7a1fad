drop table if exists search_events, message_embeddings;
drop index if exists messages_text_trgm_idx;
drop index if exists messages_tsv_idx;
alter table messages drop column if exists tsv;
