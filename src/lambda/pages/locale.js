// @ts-check
/**
 * Loaded first by both pages, before any library: makes navigator.language and
 * navigator.languages usable BCP 47 tags.
 *
 * Why: on a machine whose locale is C or POSIX (LANG=C.UTF-8, common in containers and CI),
 * Chromium reports navigator.language = 'en-US@posix', which Intl refuses
 * (`new Intl.NumberFormat('en-US@posix')` throws a RangeError). uPlot builds its number
 * formatter from navigator.language when it loads, so it would never load and no chart would
 * be drawn. An external file, because the pages' Content-Security-Policy allows no inline script.
 */
(() => {
  const FALLBACK = 'en-US';
  /** POSIX names that mean "no locale", not a language. */
  const NO_LOCALE = /^(c|posix)$/i;

  /** The canonical form of a tag Intl accepts for formatting, else undefined. */
  const usable = (/** @type {unknown} */ tag) => {
    if (typeof tag !== 'string' || tag === '' || NO_LOCALE.test(tag)) return undefined;
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (!canonical) return undefined;
      new Intl.NumberFormat(canonical);
      new Intl.DateTimeFormat(canonical);
      return canonical;
    } catch {
      return undefined;
    }
  };

  /**
   * A usable tag for what the browser reported: as is when Intl takes it; else a POSIX locale
   * name turned into a tag (`en_US.UTF-8@euro` → `en-US`, `en-US@posix` → `en-US`); C, POSIX
   * and empty mean none.
   */
  const repair = (/** @type {unknown} */ tag) =>
    usable(tag) ?? (typeof tag === 'string' ? usable(tag.replace(/[.@].*$/, '').replace(/_/g, '-')) : undefined);

  const reported = [navigator.language, ...(navigator.languages ?? [])];
  const repaired = [...new Set(reported.map(repair).filter((t) => t !== undefined))];
  const languages = Object.freeze(repaired.length > 0 ? repaired : [FALLBACK]);
  const language = /** @type {string} */ (languages[0]);
  if (language === navigator.language && languages.length === navigator.languages?.length && languages.every((t, i) => t === navigator.languages[i])) return;

  // On the prototype, where the browser's own getters live, so every reader sees the same value;
  // and on the object itself if something already shadowed them there.
  const define = (/** @type {object} */ target) => {
    Object.defineProperty(target, 'language', { configurable: true, enumerable: true, get: () => language });
    Object.defineProperty(target, 'languages', { configurable: true, enumerable: true, get: () => languages });
  };
  define(Navigator.prototype);
  const own = Object.getOwnPropertyDescriptor(navigator, 'language') ?? Object.getOwnPropertyDescriptor(navigator, 'languages');
  if (own?.configurable) define(navigator);
})();
