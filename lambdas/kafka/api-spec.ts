/** An API this adapter encodes and decodes by hand: its key and the versions its codec speaks. */
export interface ApiSpec {
  name: string;
  key: number;
  min: number;
  max: number;
}

/** A codec called at a version it does not speak is a programming error, not bad data. */
export function assertVersion(api: ApiSpec, version: number): void {
  if (!Number.isInteger(version) || version < api.min || version > api.max) {
    throw new RangeError(`${api.name} version ${version} is outside ${api.min}-${api.max}`);
  }
}
