// The error a start of `mge serve` is refused with when its configuration or directories are
// wrong (`mge serve` prints its message alone). Apart, so each part of the start can throw it
// without importing the sidecar.

export class SidecarConfigError extends Error {
  override readonly name = 'SidecarConfigError';
}
