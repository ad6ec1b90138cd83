using System.Net.Http.Json;
using System.Text.Json;

namespace Strata.Server.Tests;

/// <summary>Users, tokens and grants made through the admin API with an admin token, for role tests.</summary>
public sealed class AuthUsers(Func<HttpClient> admin)
{
    public static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Creates the user and a token for it; returns (token, token id).</summary>
    public async Task<(string Token, string Id)> UserAsync(string user, bool isAdmin = false)
    {
        using var http = admin();
        var created = await http.PostAsJsonAsync("api/auth/users", new { name = user, admin = isAdmin });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var t = await JsonAsync(await http.PostAsync($"api/auth/users/{user}/tokens", null));
        return (t.GetProperty("token").GetString()!, t.GetProperty("id").GetString()!);
    }

    public async Task GrantAsync(string user, string repo, string role)
    {
        using var http = admin();
        await JsonAsync(await http.PutAsJsonAsync($"api/auth/grants/{user}/{repo}", new { role }));
    }

    public async Task RevokeAsync(string tokenId)
    {
        using var http = admin();
        var r = await http.DeleteAsync($"api/auth/tokens/{tokenId}");
        Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage r)
    {
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static HttpClient Bearer(string adminEndpoint, string? token)
    {
        var http = new HttpClient { BaseAddress = new Uri(adminEndpoint) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
