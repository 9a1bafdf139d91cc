// The parts of oauth4webapi that discovery and the code and refresh grants use. This module is
// loaded on first use (see ../load.ts), so importing authcode does not parse oauth4webapi, and a
// bundler keeps only what is named here. The error classes serve ../error-mapping.ts.
export {
  OperationProcessingError,
  ResponseBodyError,
  UnsupportedOperationError,
  WWWAuthenticateChallengeError,
  ClientSecretBasic,
  ClientSecretPost,
  DPoP,
  None,
  PrivateKeyJwt,
  allowInsecureRequests,
  authorizationCodeGrantRequest,
  customFetch,
  discoveryRequest,
  expectNoNonce,
  getValidatedIdTokenClaims,
  isDPoPNonceError,
  nopkce,
  processAuthorizationCodeResponse,
  processDiscoveryResponse,
  processRefreshTokenResponse,
  refreshTokenGrantRequest,
  skipAuthTimeCheck,
  skipStateCheck,
  validateAuthResponse,
} from 'oauth4webapi'
