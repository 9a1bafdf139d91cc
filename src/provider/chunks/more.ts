// The parts of oauth4webapi only TokenClient's other calls use (client credentials, revocation,
// userinfo, DPoP-bound API calls): loaded on first use of one of them, so that neither the
// import of authcode nor a bundle of the plain exchangeCode/refreshTokens functions carries them.
export {
  WWWAuthenticateChallengeError,
  clientCredentialsGrantRequest,
  processClientCredentialsResponse,
  processRevocationResponse,
  processUserInfoResponse,
  protectedResourceRequest,
  revocationRequest,
  skipSubjectCheck,
  userInfoRequest,
} from 'oauth4webapi'
