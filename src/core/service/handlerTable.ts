// The shape every domain's handler table shares, and who made a call. Kept apart from engineContext.ts so that
// a domain object the context holds (the event log) can declare its handlers without importing the context.
import type { ArgsOf, MethodName, ResultOf } from '../../shared/api'

/** Who made a call: one id per connection (`gsc serve`), LOCAL_CLIENT where there is one window. */
export interface CallContext {
  client: string
}

/** One domain's methods: each takes its validated arguments (the schema's type) and the caller. */
export type HandlerTable<M extends MethodName> = { [K in M]: (args: ArgsOf<K>, ctx: CallContext) => Promise<ResultOf<K>> }
