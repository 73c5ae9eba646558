"""action_id, callback_id and block_id values shared by the Block Kit builders and listeners."""

IDEA_MODAL = "idea_modal"
PROFILE_MODAL = "profile_modal"

EDIT_IDEA = "idea_edit"
WITHDRAW_IDEA = "idea_withdraw"
IDEAS_PAGE = "ideas_page"

# Input blocks of the idea modal; the keys are the domain's field names, so a validation error
# for a field lands under the right input.
IDEA_FIELDS = {
    "title": "idea_title",
    "body": "idea_body",
    "theme": "idea_theme",
    "kind": "idea_kind",
    # One theme field: an open theme, a label in use, or a new label (one external select).
    "theme_id": "idea_theme",
}
# The theme field's action_id: its options load from the app (block_suggestion), so it must be
# one no other select shares.
THEME_CHOICE = "idea_theme_choice"
# A theme field of every theme, open or closed, and no labels (the match form's filter).
ANY_THEME_CHOICE = "any_theme_choice"
PROFILE_FIELDS = {
    "organisation": "profile_organisation",
    "organisation_type": "profile_org_type",
    "language": "profile_language",
    "role": "profile_role",
}
VALUE = "value"  # the action_id inside every input block

MATCH_MODAL = "match_modal"
MOVE_MODAL = "round_move_modal"
ROUND_CONFIRM = "round_confirm"
ROUND_RERUN = "round_rerun"
ROUND_MOVE = "round_move"
ROUND_DISCARD = "round_discard"
ROUND_LOCK = "round_lock"
MATCH_FIELDS = {
    "since": "match_since",
    "theme": "match_theme",
    "channel": "match_channel",
    "min_size": "match_min_size",
    "max_size": "match_max_size",
    "diversity": "match_diversity",
    "window": "match_window",
    "options": "match_options",
}
MOVE_FIELDS = {"person": "move_person", "group": "move_group"}
# The move form's person field: the round's members, searched as the facilitator types.
MOVE_PERSON_CHOICE = "move_person_choice"
FORGET_ME_CONFIRM = "forget_me_confirm"
FORGET_ME_CANCEL = "forget_me_cancel"

THEME_MODAL = "theme_modal"
THEME_FIELDS = {
    "title": "theme_title",
    "description": "theme_description",
    "opens_on": "theme_opens_on",
    "closes_on": "theme_closes_on",
}

STAGE_MODAL = "stage_modal"
STAGE_FIELDS = {"stage": "stage_stage", "note": "stage_note"}
HOME_PROFILE = "home_profile"

SAVE_AS_IDEA = "save_as_idea"  # message shortcut callback id

SIMILAR_JOIN = "similar_join"
SIMILAR_LINK = "similar_link"
SIMILAR_SEPARATE = "similar_separate"

# Evaluation polls. Each answer button has its own action_id (unique within its block), all
# starting with POLL_ANSWER_PREFIX; the listener matches the prefix.
POLL_ANSWER_PREFIX = "poll_answer:"
POLL_WRITE = "poll_write"
POLL_TEXT_MODAL = "poll_text_modal"
POLL_TEXT_PREFIX = "poll_text:"
POLL_TEMPLATE_MODAL = "poll_template_modal"
POLL_SEND_MODAL = "poll_send_modal"
TEMPLATE_FIELDS = {"name": "template_name", "questions": "template_questions"}
POLL_SEND_FIELDS = {
    "round": "poll_round",
    "tank": "poll_tank",
    "template": "poll_template",
    "days": "poll_days",
    "options": "poll_options",
}
# The poll form's round field: rounds searched by number as the facilitator types.
POLL_ROUND_CHOICE = "poll_round_choice"
POLL_TEMPLATE_CHOICE = "poll_template_choice"
# "Send everything as a file" under a report or a preview too long for one message.
REPORT_FILE = "report_file"
PREVIEW_FILE = "preview_file"

CLAIM_IDEAS = "claim_imported_ideas"
CLAIM_DECLINE = "decline_imported_ideas"
