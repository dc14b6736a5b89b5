export { classifyTokenFailure, classifyNetworkFailure, parseRetryAfter } from './classify';
export type { Classification, FailureKind, TokenErrorBody } from './classify';
export { microsoftEndpoints, type MicrosoftEndpoints } from './endpoints';
export { createIdentityClient, TokenRequestError } from './identity-client';
export type { IdentityClient, IdentityClientConfig, TokenSet, AuthorizationUrlInput } from './identity-client';
export { verifyIdToken, fetchOpenIdMetadata, expectedIssuer } from './id-token';
export type { MicrosoftIdentity } from './id-token';
export { createPkcePair, randomToken } from './pkce';
export { IMAP_SCOPE, GRAPH_FILES_SCOPE, SMTP_SCOPE, SIGN_IN_SCOPES, refreshScopesFor } from './scopes';
export {
  CLIENT_ASSERTION_TYPE,
  ClientCredentialConfigError,
  buildClientAssertion,
  certificateExpiry,
  certificateThumbprints,
  clientAuthenticationParams,
  credentialOrder,
  loadCertificateCredential,
  rejectsClientCredential,
  resolvePem,
} from './client-credentials';
export type { CertificateCredential, ClientAssertionAlgorithm, ClientCredential, ClientCredentialId, ClientCredentialMemory } from './client-credentials';
