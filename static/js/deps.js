// The page controller's dependencies, as main.js hands in the browser's
// objects and test/fakes/page.js hands in fakes. Types only.

/**
 * @typedef {object} PageDeps
 * @property {{protocol: string, host: string, href: string}} location
 * @property {{state: any, replaceState: (s: any, t: string, url: string) => void}} history
 * @property {Storage} session where the admin token is kept (sessionStorage)
 * @property {Storage} local where the reader's preferences are kept (localStorage)
 * @property {(opts: {url: string, onMessage: (m: object) => void,
 *   onStatus: (s: import("./socket.js").StreamStatus) => void}) =>
 *   {start(): void, retryNow(): void}} socket makes the stream client
 * @property {(opts: {requestFrame: () => void, markers: (source: string, ids: string[]) => object[]}) =>
 *   import("./charts.js").ChartManager} charts makes the chart manager
 * @property {(onChange: (token: string) => void) => {set(token: string): void, ask(why: string): void}} admin
 *   makes the header's token control, which calls onChange on every set
 * @property {(name: string, opts: object) => import("./sources.js").SourceGroup} group
 * @property {(st: import("./store.js").SeriesState, opts: {onLines: () => void, color: number}) =>
 *   import("./cards.js").SeriesCard} card makes the card of st's metric family
 * @property {{update(root: object, crashAt?: (name: string) => number): void, tick(now: number): void,
 *   filterSources(names: Set<string>|null): void}} tree
 *   the supervision tree (tree.js); tick refreshes how long ago each source
 *   crashed; filterSources lists only the sources named (null: all)
 * @property {{show(events: object[], sources: string[], selected: string): void}} timeline
 *   the event timeline's panel
 * @property {{show(alerts: import("./alerts.js").Alert[], now: number): void, tick(now: number): void}} alerts
 *   the alerts panel (alertsview.js)
 * @property {(group: import("./sources.js").SourceGroup) => {update(src: object, now: number, parked?: object, stale?: boolean): void,
 *   tick(now: number): void}} health makes the recent-history note of a source's group
 * @property {{show(s: object): void, tick(): void, showPast(end: number): void}} status
 *   the connection pill and banner (status.js); showPast gives the end of a
 *   span of the past the charts show, 0 while they follow the live edge
 * @property {{show(ev: object): void, tick(): void}} notices
 * @property {import("./page.js").PageView} page the header, overview and group box
 * @property {(fn: () => void) => void} requestFrame requestAnimationFrame
 * @property {(fn: () => void, ms: number) => any} setInterval
 * @property {(fn: () => void, ms: number) => any} [setTimeout]
 * @property {(id: any) => void} [clearTimeout]
 * @property {(name: string, token: string) => Promise<{ok: boolean, status: number, message: string}>} crash
 * @property {(token: string) => Promise<"ok"|"refused"|"unknown">} [checkAdmin] whether the server accepts an admin token
 * @property {(text: string, kind?: string) => void} toast
 * @property {() => number} [now] unix ms; Date.now by default
 * @property {() => number} [perfNow] the frame's clock, ms (performance.now by default): a frame's time budget
 * @property {import("./store.js").Store} [store]
 */

export {};
