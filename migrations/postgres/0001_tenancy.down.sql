drop table if exists audit_log, api_keys, team_members, teams, memberships, users, organizations;
drop function if exists ci_system();
drop function if exists ci_current_org();
