// oauth4webapi's pushed authorization requests (RFC 9126), loaded only when `par: true` is used.
export { processPushedAuthorizationResponse, pushedAuthorizationRequest } from 'oauth4webapi'
