package analyze

import (
	"fmt"
	"strings"
)

// Snippets for Spring, ASP.NET Core and Rails.

func renderSpring(p fixParams) (string, string) {
	mapping := "/**"
	if p.prefix != "" {
		mapping = p.prefix + "/**"
	}
	var b strings.Builder
	b.WriteString("import org.springframework.context.annotation.Configuration;\n")
	b.WriteString("import org.springframework.web.servlet.config.annotation.CorsRegistry;\n")
	b.WriteString("import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;\n\n")
	b.WriteString("@Configuration\n")
	b.WriteString("public class CorsConfig implements WebMvcConfigurer {\n")
	b.WriteString("    @Override\n")
	b.WriteString("    public void addCorsMappings(CorsRegistry registry) {\n")
	fmt.Fprintf(&b, "        registry.addMapping(\"%s\")\n", mapping)
	fmt.Fprintf(&b, "                .allowedOrigins(\"%s\")\n", p.origin)
	fmt.Fprintf(&b, "                .allowedMethods(%s)", quoteList(p.methods, `"`))
	if len(p.headers) > 0 {
		fmt.Fprintf(&b, "\n                .allowedHeaders(%s)", quoteList(p.headers, `"`))
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "\n                .exposedHeaders(%s)", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("\n                .allowCredentials(true)")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "\n                .maxAge(%d)", p.maxAge)
	}
	b.WriteString(";\n")
	b.WriteString("    }\n")
	b.WriteString("}\n")
	if p.unhandled {
		b.WriteString("\n// Spring Security answers the preflight first; in your SecurityFilterChain bean:\n")
		b.WriteString("//     http.cors(Customizer.withDefaults());\n")
	}
	note := "A new class next to your application class. With Spring Security, also call http.cors(Customizer.withDefaults()) in your SecurityFilterChain, or the security filters reject the preflight before Spring MVC sees it. For a single controller, @CrossOrigin(origins = \"" + p.origin + "\") does the same."
	if p.unhandled {
		note = unhandledNote + " http.cors(Customizer.withDefaults()) puts Spring Security's CorsFilter before authentication, and it uses this configuration."
	}
	return b.String(), note
}

func renderASPNet(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("// Program.cs, before `var app = builder.Build();`\n")
	b.WriteString("builder.Services.AddCors(options =>\n")
	b.WriteString("{\n")
	b.WriteString("    options.AddPolicy(\"Frontend\", policy => policy\n")
	fmt.Fprintf(&b, "        .WithOrigins(\"%s\")\n", p.origin)
	fmt.Fprintf(&b, "        .WithMethods(%s)", quoteList(p.methods, `"`))
	if len(p.headers) > 0 {
		fmt.Fprintf(&b, "\n        .WithHeaders(%s)", quoteList(p.headers, `"`))
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "\n        .WithExposedHeaders(%s)", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("\n        .AllowCredentials()")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "\n        .SetPreflightMaxAge(TimeSpan.FromSeconds(%d))", p.maxAge)
	}
	b.WriteString(");\n")
	b.WriteString("});\n\n")
	b.WriteString("// After builder.Build(): after app.UseRouting() if you call it,\n")
	b.WriteString("// before app.UseAuthentication() and app.UseAuthorization().\n")
	b.WriteString("app.UseCors(\"Frontend\");\n")
	note := "The CORS middleware answers the preflight itself (204) and adds the headers to the responses of the endpoints after it."
	if p.unhandled {
		note = unhandledNote + " app.UseCors(\"Frontend\") must come before app.UseAuthentication() and app.UseAuthorization()."
	}
	return b.String(), note
}

func renderRails(p fixParams) (string, string) {
	resource := "/*"
	if p.prefix != "" {
		resource = p.prefix + "/*"
	}
	syms := make([]string, len(p.methods))
	for i, m := range p.methods {
		syms[i] = strings.ToLower(m)
	}
	var opts []string
	opts = append(opts, fmt.Sprintf("methods: %%i[%s]", strings.Join(syms, " ")))
	if len(p.headers) > 0 {
		opts = append(opts, fmt.Sprintf("headers: [%s]", quoteList(p.headers, `"`)))
	}
	if len(p.expose) > 0 {
		opts = append(opts, fmt.Sprintf("expose: [%s]", quoteList(p.expose, `"`)))
	}
	if p.credentials {
		opts = append(opts, "credentials: true")
	}
	if p.maxAge > 0 {
		opts = append(opts, fmt.Sprintf("max_age: %d", p.maxAge))
	}
	var b strings.Builder
	b.WriteString("# config/initializers/cors.rb (bundle add rack-cors)\n")
	b.WriteString("Rails.application.config.middleware.insert_before 0, Rack::Cors do\n")
	b.WriteString("  allow do\n")
	fmt.Fprintf(&b, "    origins \"%s\"\n", p.origin)
	fmt.Fprintf(&b, "    resource \"%s\",\n", resource)
	for i, o := range opts {
		sep := ","
		if i == len(opts)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "      %s%s\n", o, sep)
	}
	b.WriteString("  end\n")
	b.WriteString("end\n")
	note := "Restart the server after adding the initializer. insert_before 0 puts Rack::Cors in front of every other middleware."
	if p.unhandled {
		note = unhandledNote + " insert_before 0 puts Rack::Cors in front of every other middleware, Warden/Devise included, so preflights never reach authentication."
	}
	return b.String(), note
}
