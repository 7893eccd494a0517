-- Nothing to do: tags and slug are TEXT here already. MySQL widens its
-- VARCHAR columns in this version (see mysql/00005_check_text_columns.sql).

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
