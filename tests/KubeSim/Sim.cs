namespace KubeSim;

/// <summary>What the request handlers share: the state, the options, the credentials and the server's lifetime.</summary>
public sealed record Sim(SimOptions Options, SimStore Store, ServiceAccountTokens Tokens, AccessRules Access, Authenticator Auth, CancellationToken Stopping);
