// Time is injected so tests can move it (invitation expiry, token lifetimes) without waiting.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
