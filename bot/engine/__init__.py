"""The conversation engine: every update handled whole, or not at all.

- `inbox`: an update is stored before it is confirmed to Telegram, and replayed after a crash;
- `application`: one transaction per update — the handler's changes, the person's step and
  drafts, the replies and the "done" mark commit together; replies go out after the commit;
- `capture`: holds what handlers show until that commit;
- `conversation`: multi-step conversations declared as a `states={…}` map, their step kept
  in the database (see its docstring), with a guard run before every callback;
- `turn`: the update in hand.
"""
