"""Pure core: pydantic models and logic. No pygls, lsprotocol, tinydb or litellm here."""
