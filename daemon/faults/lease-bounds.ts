// The longest lease an agent grants unless its operator raised it (--lease-max): shared with the drill schema, so a
// drill asking for more is refused when it is validated, naming its own field, not when an agent refuses it mid-run.
export const DEFAULT_LEASE_MAX_SECONDS = 900;
