-- +goose Up
-- The exercise library: built-ins (clinic_id and owner_id NULL, same in
-- every clinic) and counselors' own templates, private or shared with
-- their clinic. The content lives in immutable versions; the template row
-- keeps a copy of the current version's listing columns for browsing.
CREATE TABLE exercise_templates (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id            bigint REFERENCES clinics(id),
    owner_id             bigint REFERENCES users(id),
    slug                 text UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    category             text NOT NULL CHECK (category IN ('acknowledge', 'apologize', 'transparency', 'boundaries',
                             'daily_practice', 'emotions_triggers', 'forgiveness', 'reconnect', 'safety')),
    suggested_mode       text NOT NULL CHECK (suggested_mode IN ('individual', 'each', 'joint')),
    audience             text NOT NULL DEFAULT '' CHECK (audience IN ('', 'breacher', 'hurt', 'either')),
    description          text NOT NULL DEFAULT '',
    private_to_counselor boolean NOT NULL DEFAULT false,
    recurring            boolean NOT NULL DEFAULT false,
    visibility           text NOT NULL CHECK (visibility IN ('builtin', 'private', 'clinic')),
    archived_at          timestamptz,
    current_version      integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- Built-ins belong to no clinic or counselor and carry a slug; custom
    -- templates always have both a clinic and an owner.
    CHECK ((visibility = 'builtin') = (clinic_id IS NULL)),
    CHECK ((visibility = 'builtin') = (owner_id IS NULL)),
    CHECK (visibility <> 'builtin' OR slug IS NOT NULL),
    CHECK (visibility <> 'builtin' OR archived_at IS NULL),
    -- A private (counselor-only) exercise is never a shared joint form.
    CHECK (NOT (private_to_counselor AND suggested_mode = 'joint'))
);
-- Keyset pages by (lower(title), id): built-ins, a clinic's shared ones and a counselor's own.
CREATE INDEX exercise_templates_builtin_idx ON exercise_templates (lower(title), id) WHERE visibility = 'builtin';
CREATE INDEX exercise_templates_clinic_idx ON exercise_templates (clinic_id, lower(title), id) WHERE visibility <> 'builtin';
CREATE INDEX exercise_templates_owner_idx ON exercise_templates (owner_id, lower(title), id) WHERE owner_id IS NOT NULL;
CREATE INDEX exercise_templates_search_idx ON exercise_templates USING gin (lower(title || ' ' || description) gin_trgm_ops);

-- Immutable versions: an assignment pins (template_id, version).
CREATE TABLE template_versions (
    template_id    bigint  NOT NULL REFERENCES exercise_templates(id),
    version        integer NOT NULL CHECK (version >= 1),
    title          text    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    category       text    NOT NULL,
    description    text    NOT NULL DEFAULT '',
    instructions   text    NOT NULL DEFAULT '',
    suggested_mode text    NOT NULL CHECK (suggested_mode IN ('individual', 'each', 'joint')),
    audience       text    NOT NULL DEFAULT '',
    private_to_counselor boolean NOT NULL DEFAULT false,
    recurring      boolean NOT NULL DEFAULT false,
    schema         jsonb   NOT NULL CHECK (jsonb_typeof(schema) = 'object'),
    change_note    text    NOT NULL DEFAULT '',
    created_by     bigint  REFERENCES users(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION template_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'template versions are immutable: add a new version instead'
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER template_versions_no_update BEFORE UPDATE OR DELETE ON template_versions
    FOR EACH ROW EXECUTE FUNCTION template_versions_immutable();
CREATE TRIGGER template_versions_no_truncate BEFORE TRUNCATE ON template_versions
    FOR EACH STATEMENT EXECUTE FUNCTION template_versions_immutable();

-- +goose Down
DROP TABLE template_versions;
DROP FUNCTION template_versions_immutable();
DROP TABLE exercise_templates;
