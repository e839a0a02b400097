// The engine's operator-facing error lives in src/shared, so that every front door maps it the same way.
export { GscError, isGscError, describeError } from '../../shared/errors'
