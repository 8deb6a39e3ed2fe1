using System.Collections;
using System.Globalization;

namespace EipCni.Cloud;

/// <summary>One logical RPC call: where, which API, which parameters, and how it must be sent.</summary>
/// <param name="Mutating">Takes a node-wide cloud-call slot for each attempt.</param>
/// <param name="Anonymous">Unsigned, parameters in a form body (STS AssumeRoleWithOIDC).</param>
/// <param name="Listing">A page of a listing: the answer may be a page (<see cref="Http.AnswerLimits.PageBytes"/>) and
/// counts against what the listing's pages may cost together. Null: a small answer (<see cref="Http.AnswerLimits.CloudBytes"/>).</param>
public sealed record RpcCall(Uri Endpoint, string Action, string Version, RpcParameters Parameters, bool Mutating = false, bool Anonymous = false,
    ListingBudget? Listing = null);
