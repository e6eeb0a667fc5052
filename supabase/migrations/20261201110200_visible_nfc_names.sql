-- Names (workspaces.name, brand_dna.name, presets.name, profiles.display_name) have one spelling and
-- can be seen:
--   * NFC: "é" typed as e + U+0301 and as U+00E9 is the same name. A BEFORE trigger normalizes what
--     anyone writes (the API, Studio, seeds), and a CHECK keeps the rule where triggers do not run.
--   * Visible: a name made only of invisible characters (white space, control and format
--     characters such as bidi controls, zero-width characters and the byte-order mark,
--     default-ignorable characters such as variation selectors and Hangul fillers, the blank
--     braille pattern) looks empty and lets one name pass for another; a CHECK refuses it.
-- The API validates the same rules first (sdk/src/schemas.ts), so its clients get a field error.

-- The character class is the list of Unicode code points (Unicode 17) in the classes White_Space,
-- Cc, Cf and Default_Ignorable_Code_Point, plus U+2800; the SDK's hasVisibleCharacter() uses
-- those classes by name, and tests/api/names.test.ts checks that both agree.
create or replace function private.has_visible_character(value text)
returns boolean
language sql
immutable
strict
set search_path = ''
as $$
  select value ~ '[^\u0001-\u0020\u007F-\u00A0\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u115F-\u1160\u1680\u17B4-\u17B5\u180B-\u180F\u2000-\u200F\u2028-\u202F\u205F-\u206F\u2800\u3000\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0000-\U000E0FFF]'
$$;
comment on function private.has_visible_character(text) is
  'True when the text has a character that shows something: not white space, a control or format character (bidi controls, zero-width characters, byte-order mark, soft hyphen), a default-ignorable character (variation selectors, Hangul fillers, tag characters) or the blank braille pattern.';
grant execute on function private.has_visible_character(text) to anon, authenticated, service_role;

create or replace function private.normalize_name()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_table_name = 'profiles' then
    new.display_name := normalize(new.display_name, nfc);
  else
    new.name := normalize(new.name, nfc);
  end if;
  return new;
end
$$;
comment on function private.normalize_name() is
  'BEFORE INSERT/UPDATE trigger on workspaces, brand_dna, presets (name) and profiles (display_name): stores the name in Unicode NFC.';

-- Named so that they fire before the other BEFORE triggers of their table (alphabetical order):
-- brand_dna_prepare_write must see the normalized name to tell a real change from a respelling.
create trigger workspaces_normalize_name
  before insert or update of name on public.workspaces
  for each row execute function private.normalize_name();
create trigger brand_dna_normalize_name
  before insert or update of name on public.brand_dna
  for each row execute function private.normalize_name();
create trigger presets_normalize_name
  before insert or update of name on public.presets
  for each row execute function private.normalize_name();
create trigger profiles_normalize_display_name
  before insert or update of display_name on public.profiles
  for each row execute function private.normalize_name();

-- Existing names in NFC (a brand DNA whose name changes form gets a new version, as any change).
update public.workspaces set name = normalize(name, nfc) where name is not nfc normalized;
update public.brand_dna set name = normalize(name, nfc) where name is not nfc normalized;
update public.presets set name = normalize(name, nfc) where name is not nfc normalized;
update public.profiles set display_name = normalize(display_name, nfc) where display_name is not nfc normalized;

-- A database that already holds an invisible name stops this migration here, naming the
-- constraint: rename those rows, then apply it again.
alter table public.workspaces
  add constraint workspaces_name_nfc check (name is nfc normalized),
  add constraint workspaces_name_visible check (private.has_visible_character(name));
alter table public.brand_dna
  add constraint brand_dna_name_nfc check (name is nfc normalized),
  add constraint brand_dna_name_visible check (private.has_visible_character(name));
alter table public.presets
  add constraint presets_name_nfc check (name is nfc normalized),
  add constraint presets_name_visible check (private.has_visible_character(name));
alter table public.profiles
  add constraint profiles_display_name_nfc check (display_name is nfc normalized),
  add constraint profiles_display_name_visible check (private.has_visible_character(display_name));

comment on column public.workspaces.name is 'Display name (1–120 characters, at least one visible), stored in Unicode NFC.';
comment on column public.brand_dna.name is 'Display name (1–120 characters, at least one visible), stored in Unicode NFC.';
comment on column public.presets.name is 'Display name (1–255 characters, at least one visible), stored in Unicode NFC.';
comment on column public.profiles.display_name is
  'Name shown to teammates (1–120 characters, at least one visible), stored in Unicode NFC; defaults to the part of the e-mail before @.';

-- Sign-up metadata is whatever the client sent to Supabase Auth: a display name that would break
-- the rules above falls back like a missing one, rather than failing the sign-up.
create or replace function private.sync_profile_from_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  fallback text := left(normalize(coalesce(nullif(split_part(coalesce(new.email, ''), '@', 1), ''), 'user'), nfc), 120);
  name text := left(normalize(btrim(coalesce(meta ->> 'display_name', meta ->> 'full_name', meta ->> 'name', '')), nfc), 120);
begin
  if tg_op = 'INSERT' then
    insert into public.profiles (id, email, display_name, avatar_url)
    values (new.id, new.email,
            case when private.has_visible_character(name) then name
                 when private.has_visible_character(fallback) then fallback
                 else 'user' end,
            case when meta ->> 'avatar_url' ~ '^https?://' then left(meta ->> 'avatar_url', 2048) end);
  elsif new.email is distinct from old.email then
    update public.profiles set email = new.email where id = new.id;
  end if;
  return new;
end
$$;
comment on function private.sync_profile_from_auth_user() is
  'AFTER INSERT/UPDATE trigger on auth.users: creates the profile of a new user (display name from the sign-up metadata, in NFC, else the e-mail''s local part) and keeps its e-mail in sync.';

revoke execute on all functions in schema private from public;
